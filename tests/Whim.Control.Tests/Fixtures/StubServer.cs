using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Whim.Testing;

namespace Whim.Control.Tests.Fixtures;

/// <summary>A tiny Kestrel server on a loopback port standing in for a container's service (LocalProxy, generation proxy, backup agent).</summary>
public sealed class StubServer : IAsyncDisposable
{
    private StubServer(StartedApp app) => App = app;

    public StartedApp App { get; }

    public Uri BaseAddress => App.BaseAddress;

    public static async Task<StubServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        map(app);
        return new StubServer(await StartedApp.StartAsync(app));
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Whim.Testing;

/// <summary>A real Kestrel host started in the test process on an ephemeral loopback port.</summary>
public sealed class StartedApp(WebApplication app, Uri baseAddress) : LoopbackService(baseAddress)
{
    /// <summary>The running application.</summary>
    public WebApplication App { get; } = app;

    /// <summary>Starts <paramref name="app"/> (built with <c>--urls http://127.0.0.1:0</c>) and reads back its port.</summary>
    public static async Task<StartedApp> StartAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StartedApp(app, new Uri(address.TrimEnd('/') + "/"));
    }

    protected override async ValueTask StopAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

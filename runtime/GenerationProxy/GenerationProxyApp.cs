using Whim.Runtime.Hosting;

namespace Whim.GenerationProxy;

/// <summary>Builds the generation-proxy host: what Program.cs runs and what the tests start on port 0.</summary>
public static class GenerationProxyApp
{
    /// <summary>Who this process is and where it listens by default.</summary>
    public static readonly WhimService Service = new("generation-proxy", 3001);

    /// <summary>Builds the application from command-line arguments and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WhimHost.CreateWebBuilder(Service, args);
        builder.Services.AddGenerationProxy(builder.Configuration);
        var app = builder.Build();
        app.UseWhimDefaults();
        app.MapGenerationProxy();
        return app;
    }
}

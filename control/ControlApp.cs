using Whim.Runtime.Hosting;

namespace Whim.Control;

/// <summary>Builds the control API host: what Program.cs runs and what the tests start on port 0.</summary>
public static class ControlApp
{
    /// <summary>The control API listens on 5080 by default.</summary>
    public static readonly WhimService Service = new("control", 5080);

    /// <summary>Builds the application from command-line arguments and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WhimHost.CreateWebBuilder(Service, args);
        var app = builder.Build();
        app.UseWhimDefaults();
        return app;
    }
}

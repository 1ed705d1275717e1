using Microsoft.AspNetCore.Http.Json;
using Whim.Control.Config;
using Whim.Control.Heartbeats;
using Whim.Control.History;
using Whim.Control.Machines;
using Whim.Control.Mcp;
using Whim.Control.Ports;
using Whim.Control.Preview;
using Whim.Control.Tasks;
using Whim.Control.WorkspaceImages;
using Whim.Control.Workspaces;
using Whim.Runtime.Configuration;
using Whim.Runtime.Hosting;
using Whim.Runtime.Logging;

namespace Whim.Control;

/// <summary>Builds the control API host: what Program.cs runs and what the tests start on port 0.</summary>
public static class ControlApp
{
    /// <summary>The control API listens on 5080 by default.</summary>
    public static readonly WhimService Service = new("control", 5080);

    /// <summary>Where the OpenAPI document is served.</summary>
    public const string OpenApiPath = "/api/v1/openapi.json";

    /// <summary>Builds the application from command-line arguments and the environment.</summary>
    public static WebApplication Build(string[] args) => Build(args, configure: null);

    /// <summary>Builds the application; <paramref name="configure"/> may replace services (tests swap the clock or the machine provider).</summary>
    internal static WebApplication Build(string[] args, Action<IServiceCollection>? configure)
    {
        var builder = WhimHost.CreateWebBuilder(Service, args);
        builder.Services.AddControl(builder.Configuration);
        configure?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseMiddleware<PreviewRouter>();
        app.UseMiddleware<BadRequestMiddleware>();
        app.UseWhimDefaults();
        app.UseRouting();
        app.UseWebSockets();
        app.UseMiddleware<ScopeMiddleware>();
        app.MapControlApi();
        app.MapWhimMcp();
        return app;
    }

    /// <summary>Every service of the control API (<c>STYLE.md</c> §14: one registration for host and tests).</summary>
    internal static IServiceCollection AddControl(this IServiceCollection services, IConfiguration configuration)
    {
        var paths = new WhimPaths(configuration);
        services.AddControlStorage(configuration, paths);

        services.AddValidatedOptions<AdminTokenOptions, AdminTokenOptionsValidator>().Configure(o => o.AdminToken = configuration["ADMIN_TOKEN"] ?? string.Empty);
        SecretRedactor.Shared.Register(configuration["ADMIN_TOKEN"]);
        services.AddSingleton<TokenStore>();

        services.AddSingleton<WorkspaceStore>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<TaskLifecycle>();
        services.AddSingleton<HistoryStore>();

        services.Configure<LocalMachineOptions>(configuration.GetSection("MACHINES:LOCAL"));
        // One task-launch path: Images:Enabled runs tasks on reserves or cold-created machines of their image, else locally.
        services.AddSingleton<LocalMachineProvider>();
        services.AddSingleton<ImageMachineProvider>();
        services.AddSingleton<IMachineProvider>(static sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Whim.Control.Images.ImagesOptions>>().Value.Enabled
            ? sp.GetRequiredService<ImageMachineProvider>()
            : sp.GetRequiredService<LocalMachineProvider>());

        services.AddWorkspaceImages(configuration);

        services.AddValidatedOptions<PreviewOptions, PreviewOptionsValidator>().Bind(configuration.GetSection("PREVIEW"));
        services.AddHttpForwarder();

        services.AddValidatedOptions<HeartbeatOptions, HeartbeatOptionsValidator>().Bind(configuration.GetSection("HEARTBEATS"));
        services.AddHttpClient(HeartbeatPoller.ClientName).ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { UseProxy = false });
        services.AddSingleton<HeartbeatPoller>();
        services.AddHostedService(static sp => sp.GetRequiredService<HeartbeatPoller>());

        services.Configure<JsonOptions>(static o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ControlJson.Default));
        services.Configure<RouteHandlerOptions>(static o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddOpenApi("v1");
        services.AddWhimMcpHttp();
        return services;
    }

    /// <summary>Maps <c>/api/v1</c>: a table of contents of the features.</summary>
    internal static void MapControlApi(this WebApplication app)
    {
        app.MapOpenApi(OpenApiPath.Replace("v1", "{documentName}", StringComparison.Ordinal)).RequireScope(ApiScope.Anonymous);
        var api = app.MapGroup("/api/v1");
        api.MapWorkspaces();
        api.MapTasks();
        api.MapComments();
        api.MapAttachments();
        api.MapPrompts();
        api.MapConfig();
        api.MapPorts();
        api.MapHistory();
        api.MapHeartbeats();
        api.MapForks();
        api.MapWorkspaceUsers();
        api.MapWorkspaceImages();
    }
}

using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;
using Serilog.Extensions.Logging;
using Whim.Runtime.Configuration;
using Whim.Runtime.ControlApi;
using Whim.Runtime.Hosting;
using Whim.Runtime.Logging;
using Whim.WhimMcp.Tools;

namespace Whim.WhimMcp;

/// <summary>
/// Builds the stdio MCP server. No generic host: an agent starts this process for every session and waits for
/// <c>initialize</c>, so start-up is only what serving needs — Whim's configuration layering, the Serilog logger, a
/// small service provider for the tools (its control-API client is created on the first tool call) and the SDK's
/// server over stdio.
/// </summary>
public static class WhimMcpApp
{
    /// <summary>Logs go to stderr: stdout belongs to the protocol.</summary>
    public static readonly WhimService Service = new("whim-mcp", 0, LogToStandardError: true);

    /// <summary>Builds the server from command-line arguments and the environment; bad settings throw here.</summary>
    public static WhimMcpServer Build(string[] args)
    {
        var configuration = new ConfigurationManager();
        WhimConfiguration.UseWhimSources(configuration, args, []);
        var taskId = configuration["TASK_ID"];
        AddTokenFromFile(configuration);

        var paths = new WhimPaths(configuration);
        var loggerFactory = new SerilogLoggerFactory(WhimLogging.CreateLogger(Service.Name, configuration, paths, Service.LogToStandardError), dispose: true);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(paths);
        services.AddSingleton(Service);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(SecretRedactor.Shared);
        services.AddSingleton<ILoggerFactory>(loggerFactory);
        services.AddLogging();
        services.AddControlApiClient(configuration);
        services.AddSingleton<IWhimBackend>(sp => new ControlApiBackend(sp.GetRequiredService<ControlApiClient>(), (backend, ct) => CallerAsync(backend, taskId, ct)));
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = false });

        // Options are validated at start (a bad setting stops the process with a message naming it), without building
        // the options machinery, which the control-API client resolves on the first tool call.
        var controlApi = new ControlApiOptions();
        configuration.Bind(controlApi);
        var validation = new ControlApiOptionsValidator().Validate(Options.DefaultName, controlApi);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ControlApiOptions), validation.Failures);
        }

        var options = new McpServerOptions
        {
            ServerInfo = new() { Name = "whim", Version = typeof(WhimMcpApp).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" },
            ServerInstructions = "Whim workspace tools: tasks, todos, prompts, comments, attachments, search and lifecycle.",
            ToolCollection = [.. WhimToolsRegistration.CreateTools(provider)],
        };
        return new WhimMcpServer(options, provider, loggerFactory);
    }

    /// <summary>
    /// <c>WHIM_INTERNAL_API_TOKEN_FILE</c>: bootstrap keeps the token in a 0600 file so it never appears in the agent's
    /// MCP configuration; it is read here when <c>WHIM_INTERNAL_API_TOKEN</c> itself is not set. A missing file leaves
    /// the token unset (the server still starts; tools then say the token is missing).
    /// </summary>
    private static void AddTokenFromFile(ConfigurationManager configuration)
    {
        if (!string.IsNullOrEmpty(configuration["INTERNAL_API_TOKEN"]) || configuration["INTERNAL_API_TOKEN_FILE"] is not { Length: > 0 } file || !File.Exists(file))
        {
            return;
        }

        var token = File.ReadAllText(file).Trim();
        if (token.Length > 0)
        {
            SecretRedactor.Shared.Register(token);
            configuration.AddInMemoryCollection([new("INTERNAL_API_TOKEN", token)]);
        }
    }

    /// <summary>The calling task is <c>WHIM_TASK_ID</c>; its workspace and creator come from the control API.</summary>
    private static async Task<WhimCaller> CallerAsync(IWhimBackend backend, string? taskId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(taskId))
        {
            throw new WhimBackendException("WHIM_TASK_ID is not set, so this server does not know its task; the container's bootstrap must set it.");
        }

        var task = await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{Uri.EscapeDataString(taskId)}", null, ct);
        var workspace = task?["workspaceId"]?.ToString() ?? throw new WhimBackendException("The control API answered without the task's workspace.");
        return new WhimCaller(workspace, taskId, task["createdBy"]?.ToString());
    }
}

/// <summary>The stdio MCP session: serves until stdin closes or SIGTERM/SIGINT arrives.</summary>
public sealed class WhimMcpServer : IAsyncDisposable
{
    private readonly McpServerOptions _options;
    private readonly ServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;

    internal WhimMcpServer(McpServerOptions options, ServiceProvider services, ILoggerFactory loggerFactory)
    {
        _options = options;
        _services = services;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The tools' service provider.</summary>
    public IServiceProvider Services => _services;

    /// <summary>Serves the session on stdin/stdout; returns when the client closes stdin, on a signal, or when <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        await using var transport = new StdioServerTransport(_options, _loggerFactory);
        await using var server = McpServer.Create(transport, _options, _loggerFactory, _services);
        try
        {
            await server.RunAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Asked to stop: a clean end of the session.
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _loggerFactory.Dispose();
    }
}

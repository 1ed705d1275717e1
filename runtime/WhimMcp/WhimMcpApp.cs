using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Whim.Runtime.ControlApi;
using Whim.Runtime.Hosting;
using Whim.Runtime.Logging;
using Whim.WhimMcp.Tools;

namespace Whim.WhimMcp;

/// <summary>Builds the stdio MCP server host.</summary>
public static class WhimMcpApp
{
    /// <summary>Logs go to stderr: stdout belongs to the protocol.</summary>
    public static readonly WhimService Service = new("whim-mcp", 0, LogToStandardError: true);

    /// <summary>Builds the host from command-line arguments and the environment.</summary>
    public static IHost Build(string[] args)
    {
        var builder = WhimHost.CreateBuilder(Service, args);
        var taskId = builder.Configuration["TASK_ID"];
        AddTokenFromFile(builder.Configuration);
        builder.Services.AddControlApiClient(builder.Configuration);
        builder.Services.AddSingleton<IWhimBackend>(sp => new ControlApiBackend(sp.GetRequiredService<ControlApiClient>(), (backend, ct) => CallerAsync(backend, taskId, ct)));
        builder.Services
            .AddMcpServer(options =>
            {
                options.ServerInfo = new() { Name = "whim", Version = typeof(WhimMcpApp).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" };
                options.ServerInstructions = "Whim workspace tools: tasks, todos, prompts, comments, attachments, search and lifecycle.";
            })
            .WithStdioServerTransport()
            .WithWhimTools();
        return builder.Build();
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

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Whim.Runtime.Hosting;

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
        builder.Services
            .AddMcpServer(options =>
            {
                options.ServerInfo = new() { Name = "whim", Version = typeof(WhimMcpApp).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" };
                options.ServerInstructions = "Whim workspace tools: tasks, todos, prompts, comments, attachments, search and lifecycle.";
            })
            .WithStdioServerTransport();
        return builder.Build();
    }
}

using System.Net;
using Microsoft.Extensions.Options;
using Whim.Runtime.ControlApi;
using Whim.WhimMcp.Tools;

namespace Whim.Control.Mcp;

/// <summary>
/// The Whim MCP tools over streamable HTTP at <c>/api/mcp/{team}/{workspace}</c>.
/// <para>
/// Decision: the tools reach the control API over HTTP to this very server with the caller's own MCP token (the same
/// <see cref="ControlApiBackend"/> the stdio server uses), rather than calling the stores in-process. One
/// implementation, and every tool call passes the same validation and workspace-scope checks as a direct API call, so
/// the MCP endpoint cannot grant more than the token already may. The cost is a loopback round trip per call.
/// </para>
/// </summary>
internal static class McpHttp
{
    public const string PathPrefix = "/api/mcp";
    public const string Pattern = PathPrefix + "/{team}/{workspace}";
    private const string SelfClient = "whim-mcp-self";

    public static IServiceCollection AddWhimMcpHttp(this IServiceCollection services)
    {
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(static o => o.SerializerOptions.TypeInfoResolverChain.Add(McpRoutesJson.Default));
        services.AddHttpContextAccessor();
        services.AddHttpClient(SelfClient).ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { UseProxy = false });
        services.AddSingleton(static sp => new SelfPipeline(new ControlApiPipeline(
            Options.Create(new ControlApiOptions { Resilience = { MaxRetries = 1 } }), sp.GetRequiredService<TimeProvider>())));
        services.AddTransient<IWhimBackend>(static sp => CreateBackend(sp));
        services
            .AddMcpServer(static options =>
            {
                options.ServerInfo = new() { Name = "whim", Version = typeof(McpHttp).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" };
                options.ServerInstructions = "Whim workspace tools: tasks, todos, prompts, comments, attachments, search and lifecycle.";
            })
            .WithHttpTransport()
            .WithWhimTools();
        return services;
    }

    /// <summary>Maps the endpoint behind its guard; <see cref="ApiScope.Workspace"/> documents it, <see cref="McpHttpMiddleware"/> enforces it.</summary>
    public static void MapWhimMcp(this WebApplication app)
    {
        app.UseMiddleware<McpHttpMiddleware>();
        app.MapMcp(Pattern).RequireScope(ApiScope.Workspace).WithTags("MCP");
    }

    private static ControlApiBackend CreateBackend(IServiceProvider services)
    {
        var context = services.GetRequiredService<IHttpContextAccessor>().HttpContext;
        var caller = McpHttpCaller.Of(context) ?? throw new InvalidOperationException("no MCP caller: the MCP guard did not run");
        var local = context!.Connection.LocalIpAddress ?? IPAddress.Loopback;
        var self = new UriBuilder(context.Request.Scheme, local.IsIPv4MappedToIPv6 ? local.MapToIPv4().ToString() : local.ToString(), context.Connection.LocalPort).Uri;
        var options = Options.Create(new ControlApiOptions { BaseUrl = self.ToString(), Token = caller.Token.Reveal() });
        var client = new ControlApiClient(
            services.GetRequiredService<IHttpClientFactory>().CreateClient(SelfClient),
            options,
            services.GetRequiredService<SelfPipeline>().Pipeline,
            services.GetRequiredService<ILogger<ControlApiClient>>());
        var who = new WhimCaller(caller.WorkspaceId, null, caller.UserId);
        return new ControlApiBackend(client, (_, _) => Task.FromResult(who));
    }

    /// <summary>The resilience pipeline of self-calls, apart from any other client's circuit breaker.</summary>
    private sealed record SelfPipeline(ControlApiPipeline Pipeline);
}

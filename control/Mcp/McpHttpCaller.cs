using Whim.Runtime.Logging;

namespace Whim.Control.Mcp;

/// <summary>The authenticated caller of one <c>/api/mcp</c> request: its workspace, the token's user and the token itself.</summary>
internal sealed record McpHttpCaller(string WorkspaceId, string? UserId, Secret Token)
{
    public static McpHttpCaller? Of(HttpContext? context) => context?.Items[typeof(McpHttpCaller)] as McpHttpCaller;
}

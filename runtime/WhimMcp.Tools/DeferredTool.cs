using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Whim.WhimMcp.Tools;

/// <summary>
/// A tool whose protocol definition (name, description, input schema, annotations) comes from the catalogue
/// (<see cref="WhimToolCatalog"/>), so <c>tools/list</c> needs no reflection; the SDK's reflection-built tool that binds
/// the arguments and runs the method is created on the first call or metadata read.
/// </summary>
internal sealed class DeferredTool(Tool definition, Func<McpServerTool> create) : McpServerTool
{
    private readonly Lazy<McpServerTool> _inner = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public override Tool ProtocolTool => definition;

    public override IReadOnlyList<object> Metadata => _inner.Value.Metadata;

    public override ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default) =>
        _inner.Value.InvokeAsync(request, cancellationToken);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Whim.Control.Tasks;
using Whim.Control.Workspaces;

namespace Whim.Control.Mcp;

/// <summary>JSON of the routes added for the MCP tools (fork, workspace users), chained after <c>ControlJson</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ForkRequest))]
[JsonSerializable(typeof(ForkCreated))]
[JsonSerializable(typeof(List<WorkspaceUser>))]
internal sealed partial class McpRoutesJson : JsonSerializerContext;

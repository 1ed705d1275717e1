using System.Text.Json.Serialization;

namespace Whim.PortMonitor.Table;

/// <summary>
/// One listening port, exactly the control API's <c>PortEntry</c> and the port table file's entry:
/// <c>{"port":5173,"family":"ipv4","address":"127.0.0.1","pid":123,"process":"node","command":"npm run dev","firstSeen":"…Z","ready":true}</c>.
/// </summary>
internal sealed record PortEntry(
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("family")] string Family,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("process")] string Process,
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("firstSeen")] DateTimeOffset FirstSeen,
    [property: JsonPropertyName("ready")] bool Ready)
{
    /// <summary>The socket inode behind the entry: not published, used to notice a port reopened by another process.</summary>
    [JsonIgnore]
    public ulong Inode { get; init; }
}

/// <summary>The port table file and <c>GET /ports</c>: the ports in the order they were first seen.</summary>
internal sealed record PortTableDocument(
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("ports")] IReadOnlyList<PortEntry> Ports);

/// <summary>The body of <c>PUT /api/v1/tasks/{taskId}/ports</c>.</summary>
internal sealed record PortsBody([property: JsonPropertyName("ports")] IReadOnlyList<PortEntry> Ports);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(PortEntry))]
[JsonSerializable(typeof(PortTableDocument))]
[JsonSerializable(typeof(PortsBody))]
internal sealed partial class PortMonitorJson : JsonSerializerContext;

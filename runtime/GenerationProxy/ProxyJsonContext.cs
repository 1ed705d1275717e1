using System.Text.Json.Serialization;
using Whim.GenerationProxy.GenerationLog;
using Whim.GenerationProxy.IdleTracking;

namespace Whim.GenerationProxy;

/// <summary>Every JSON shape the proxy writes, source-generated for Native AOT.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentStateSnapshot))]
[JsonSerializable(typeof(GenerationRecord))]
internal sealed partial class ProxyJsonContext : JsonSerializerContext;

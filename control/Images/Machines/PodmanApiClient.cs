using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace Whim.Control.Images.Machines;

/// <summary>
/// The podman REST API (libpod, <c>/v4.0.0/libpod/containers/…</c>) over its unix socket: every machine operation
/// without a CLI process start-up, which is what puts a warm claim (unpause + inspect) well under 200 ms.
/// </summary>
internal sealed class PodmanApiClient : IDisposable
{
    private readonly HttpClient _http;

    public PodmanApiClient(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://podman/v4.0.0/libpod/"), Timeout = TimeSpan.FromMinutes(10) };
    }

    /// <summary>Creates a container from a libpod spec; returns its id.</summary>
    public async Task CreateAsync(PodmanCreateSpec spec, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "containers/create") { Content = JsonContent.Create(spec, PodmanJson.Default.PodmanCreateSpec) },
            "create " + spec.Name,
            cancellationToken);
        await EnsureAsync(response, "create " + spec.Name, cancellationToken);
    }

    /// <summary>A verb without a body (<c>start</c>, <c>pause</c>, <c>unpause</c>); 304 (already in that state) is success.</summary>
    public async Task PostAsync(string machineId, string verb, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Container(machineId) + "/" + verb), verb + " " + machineId, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotModified)
        {
            await EnsureAsync(response, verb + " " + machineId, cancellationToken);
        }
    }

    /// <summary>Removes a container in any state (killed at once); a missing one is not an error.</summary>
    public async Task RemoveAsync(string machineId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, Container(machineId) + "?force=true&ignore=true&timeout=0"), "rm " + machineId, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureAsync(response, "rm " + machineId, cancellationToken);
        }
    }

    /// <summary>The container's state and image; null when there is no such container.</summary>
    public async Task<PodmanInspect?> InspectAsync(string machineId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Container(machineId) + "/json"), "inspect " + machineId, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAsync(response, "inspect " + machineId, cancellationToken);
        return await response.Content.ReadFromJsonAsync(PodmanJson.Default.PodmanInspect, cancellationToken)
            ?? throw new MachineProviderException($"podman API inspect {machineId} answered no body");
    }

    public void Dispose() => _http.Dispose();

    private static string Container(string machineId) => "containers/" + Uri.EscapeDataString(machineId);

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, string what, CancellationToken cancellationToken)
    {
        using var message = request();
        try
        {
            return await _http.SendAsync(message, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new MachineProviderException($"podman API {what} failed: {e.Message}", e);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new MachineProviderException($"podman API {what} failed ({(int)response.StatusCode}): {body.Trim()}");
        }
    }
}

/// <summary>The subset of libpod's SpecGenerator a machine needs.</summary>
internal sealed record PodmanCreateSpec(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("command")] IReadOnlyList<string>? Command,
    [property: JsonPropertyName("labels")] IReadOnlyDictionary<string, string> Labels,
    [property: JsonPropertyName("mounts")] IReadOnlyList<PodmanMount> Mounts,
    [property: JsonPropertyName("netns")] PodmanNamespace? NetworkNamespace,
    [property: JsonPropertyName("Networks")] IReadOnlyDictionary<string, PodmanNetworkOptions>? Networks);

/// <summary>An OCI mount (bind mounts: <c>type</c> bind, <c>options</c> rbind).</summary>
internal sealed record PodmanMount(
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("options")] IReadOnlyList<string> Options);

/// <summary>A namespace mode (<c>none</c>, <c>host</c>, <c>bridge</c>).</summary>
internal sealed record PodmanNamespace([property: JsonPropertyName("nsmode")] string Mode);

/// <summary>Per-network options (none needed).</summary>
internal sealed record PodmanNetworkOptions;

/// <summary>The fields of <c>GET /containers/{id}/json</c> the provider reads.</summary>
internal sealed record PodmanInspect(
    [property: JsonPropertyName("State")] PodmanInspectState? State,
    [property: JsonPropertyName("ImageName")] string? ImageName);

internal sealed record PodmanInspectState([property: JsonPropertyName("Status")] string? Status);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PodmanCreateSpec))]
[JsonSerializable(typeof(PodmanInspect))]
internal sealed partial class PodmanJson : JsonSerializerContext;

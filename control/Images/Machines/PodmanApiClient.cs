using System.Net.Sockets;

namespace Whim.Control.Images.Machines;

/// <summary>The few podman REST calls on the claim path, over its unix socket (libpod API, <c>/v4.0.0/libpod/containers/{id}/{verb}</c>).</summary>
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
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://podman/v4.0.0/libpod/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task PostAsync(string machineId, string verb, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(new Uri($"containers/{Uri.EscapeDataString(machineId)}/{verb}", UriKind.Relative), null, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new MachineProviderException($"podman API {verb} {machineId} failed: {e.Message}", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new MachineProviderException($"podman API {verb} {machineId} failed ({(int)response.StatusCode}): {body.Trim()}");
            }
        }
    }

    public void Dispose() => _http.Dispose();
}

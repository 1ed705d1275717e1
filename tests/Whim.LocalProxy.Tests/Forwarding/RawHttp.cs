using System.Net.Sockets;
using System.Text;

namespace Whim.LocalProxy.Tests.Forwarding;

/// <summary>Sends a request exactly as written (HttpClient would normalise absolute-form targets and Hosts) and reads the status.</summary>
internal static class RawHttp
{
    public static async Task<int> StatusAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[1024];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        var text = Encoding.ASCII.GetString(buffer, 0, read);

        // "HTTP/1.1 400 Bad Request"
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}

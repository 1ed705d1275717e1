using System.Net;
using System.Net.Sockets;
using Whim.PortMonitor.Tests.Scanning;
using Whim.Testing;

namespace Whim.PortMonitor.Tests.Registration;

/// <summary>
/// Real loopback listeners that answer one HTTP 200 per connection (so the readiness probe gets its first bytes),
/// each entered into a <see cref="FakeProc"/> as a socket of one process.
/// </summary>
internal sealed class AnsweringListeners(FakeProc proc, int pid) : IDisposable
{
    private readonly List<TcpListener> _listeners = [];

    /// <summary>Opens a listener and enters it into the fake /proc as <paramref name="fd"/> of the process.</summary>
    public (int Port, ulong Inode) Listen(int fd, ulong inode)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _listeners.Add(listener);
        _ = AnswerAsync(listener);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        proc.Listen(pid, fd, "127.0.0.1", port, inode);
        return (port, inode);
    }

    /// <summary>
    /// Starts the whole monitor in-process on <paramref name="proc"/>, registering for <paramref name="taskId"/> at
    /// <paramref name="api"/>, with short intervals and retries so registration and recovery happen within a test.
    /// </summary>
    public static Task<StartedApp> StartMonitorAsync(TempRoot root, FakeProc proc, string taskId, Uri api, string token, params string[] more) =>
        StartedApp.StartAsync(PortMonitorApp.Build(
        [
            .. more,
            "--urls", "http://127.0.0.1:0", "--ROOT", root.Path, "--PROC_ROOT", proc.Root,
            "--TASK_ID", taskId, "--API_URL", api.ToString(), "--INTERNAL_API_TOKEN", token,
            "--CONTROL_API:MAXRETRIES", "1", "--CONTROL_API:BASEDELAY", "00:00:00.010", "--CONTROL_API:MAXDELAY", "00:00:00.020", "--CONTROL_API:ATTEMPTTIMEOUT", "00:00:10", "--CONTROL_API:TOTALTIMEOUT", "00:00:20",
            "--PORTMONITOR:INTERVAL", "00:00:00.020", "--PORTMONITOR:REGISTRATIONRETRY", "00:00:00.050", "--PORTMONITOR:REGISTRATIONMAXDELAY", "00:00:00.200",
        ]));

    public void Dispose()
    {
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
    }

    private static async Task AnswerAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Whim.PortMonitor;
using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests.EndToEnd;

/// <summary>
/// PortMonitor (reading the real /proc) and LocalProxy, both in-process and sharing one temporary root, so the
/// proxy routes from the table the monitor publishes. The monitor lists only this test process's children
/// (<c>PORTMONITOR:OWNERPIDROOT</c>): other engineers' servers on this machine, and the Kestrels of this process,
/// are not the dev servers under test.
/// </summary>
public sealed partial class PreviewStack : IAsyncLifetime
{
    private readonly TempRoot _root = new("whim-e2e-");

    public StartedApp Monitor { get; private set; } = null!;

    public StartedApp Proxy { get; private set; } = null!;

    public string Root => _root.Path;

    public async Task InitializeAsync()
    {
        Monitor = await StartedApp.StartAsync(PortMonitorApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--ROOT", _root.Path, "--PROC_ROOT", "/proc",
            "--PORTMONITOR:OWNERPIDROOT", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--PORTMONITOR:INTERVAL", "00:00:00.050",
        ]));
        Proxy = await StartedApp.StartAsync(LocalProxyApp.Build(["--urls", "http://127.0.0.1:0", "--ROOT", _root.Path]));
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Monitor.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>The monitor's entry for <paramref name="port"/> once it is ready, else null.</summary>
    public async Task<JsonElement?> ReadyEntryAsync(int port)
    {
        using var table = JsonDocument.Parse(await Monitor.Client.GetStringAsync("ports"));
        foreach (var entry in table.RootElement.GetProperty("ports").EnumerateArray())
        {
            if (entry.GetProperty("port").GetInt32() == port && entry.GetProperty("ready").GetBoolean())
            {
                return entry.Clone();
            }
        }

        return null;
    }

    /// <summary>True while the monitor lists <paramref name="port"/> at all.</summary>
    public async Task<bool> ListsAsync(int port)
    {
        using var table = JsonDocument.Parse(await Monitor.Client.GetStringAsync("ports"));
        return table.RootElement.GetProperty("ports").EnumerateArray().Any(e => e.GetProperty("port").GetInt32() == port);
    }

    /// <summary>GETs <paramref name="path"/> through the proxy with the preview Host of <paramref name="port"/>.</summary>
    public async Task<(int Status, string Body)> GetThroughProxyAsync(int port, string path = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = $"{port}.localhost:{Proxy.BaseAddress.Port}";
        using var response = await Proxy.Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Reads the first port number a server prints ("port 41234", "PORT=41234", "localhost:41234").</summary>
    public static async Task<int> PrintedPortAsync(RunningProcess process, string what)
    {
        var line = await process.WaitForLineAsync(l => PortPattern().IsMatch(l), what + " to print its port");
        return int.Parse(PortPattern().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?:port |PORT=|:)(\d{2,5})")]
    private static partial Regex PortPattern();
}

[CollectionDefinition(Name)]
public sealed class PreviewStackCollection : ICollectionFixture<PreviewStack>
{
    public const string Name = "preview stack";
}

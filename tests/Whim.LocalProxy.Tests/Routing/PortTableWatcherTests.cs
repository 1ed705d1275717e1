using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Whim.LocalProxy.Routing;
using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests.Routing;

public sealed class PortTableWatcherTests
{
    // The periodic refresh is frozen (fake clock), so only the file event can bring each change in.
    [Fact]
    public async Task Every_change_after_a_refresh_tick_is_picked_up_by_its_file_event()
    {
        using var root = new TempRoot();
        var path = root.File("whim/run/ports.json");
        Write(path, 5173);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new LocalProxyOptions { RefreshInterval = TimeSpan.FromSeconds(1) });
        using var watcher = new PortTableWatcher(new PortTableLocation(path), options, time, NullLogger<PortTableWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            watcher.Current.Find(5173).Should().NotBeNull();
            // The watch starts on the service's own task: rewrite until a change arrives by event (no tick can bring it).
            await Eventually.UntilAsync(
                () =>
                {
                    Write(path, 4000);
                    return watcher.Current.Find(4000) is not null;
                },
                "the file watch to be running");
            for (var port = 3000; port < 3005; port++)
            {
                // A tick outruns the pending file wait; the next event must still wake the reload.
                time.Advance(TimeSpan.FromSeconds(1));
                Write(path, port);
                var expected = port;
                await Eventually.UntilAsync(() => watcher.Current.Find(expected) is not null, $"port {expected} to be loaded without a refresh tick");
            }
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }

    private static void Write(string path, int port)
    {
        var entry = new { port, family = "ipv4", address = "127.0.0.1", pid = 1, process = "node", command = "node", firstSeen = DateTimeOffset.UtcNow, ready = true };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new { updatedAt = DateTimeOffset.UtcNow, ports = new[] { entry } }));
        File.Move(temp, path, overwrite: true);
    }
}

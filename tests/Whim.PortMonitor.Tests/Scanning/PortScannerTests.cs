using FluentAssertions;
using Whim.PortMonitor.Scanning;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

public sealed class PortScannerTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeProc _proc = new();

    public PortScannerTests()
    {
        _proc.Process(1, 0, "bash", "/bin/bash");
        _proc.Process(100, 1, "npm run dev", "npm", "run", "dev");
        _proc.Process(101, 100, "sh", "sh", "-c", "vite");
        _proc.Process(102, 101, "node", "node", "/app/node_modules/.bin/vite");
        _proc.Process(200, 1, "python3", "/usr/bin/python3", "-m", "http.server", "8000");
        _proc.Process(300, 1, "whim-proxy", "/whim/bin/local-proxy");
    }

    [Fact]
    public void Lists_a_new_listener_with_its_process_and_command()
    {
        var scanner = Scanner();
        _proc.Listen(102, 21, "::1", 5173, 9001);

        scanner.Scan(s_t0).Should().BeTrue();

        var entry = scanner.Entries().Should().ContainSingle().Subject;
        entry.Should().BeEquivalentTo(new { Port = 5173, Family = "ipv6", Address = "::1", Pid = 102, Process = "node", Command = "npm run dev", FirstSeen = s_t0, Ready = false });
    }

    [Fact]
    public void Ignores_runtime_ports_and_configured_ports()
    {
        var scanner = Scanner(ignored: [3001, 8080, 8081, 8082, 5080, 5432]);
        _proc.Listen(300, 3, "0.0.0.0", 8080, 1);
        _proc.Listen(300, 4, "127.0.0.1", 8082, 2);
        _proc.Listen(200, 5, "127.0.0.1", 5432, 3);
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);

        scanner.Scan(s_t0);

        scanner.Entries().Select(e => e.Port).Should().Equal(8000);
    }

    [Fact]
    public void Removes_a_closed_listener_and_reports_the_change()
    {
        var scanner = Scanner();
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);
        scanner.Scan(s_t0);

        scanner.Scan(s_t0.AddSeconds(1)).Should().BeFalse("nothing changed");
        _proc.Close(4);

        scanner.Scan(s_t0.AddSeconds(2)).Should().BeTrue();
        scanner.Entries().Should().BeEmpty();
    }

    [Fact]
    public void Lists_a_dual_stack_server_once_and_keeps_first_seen_in_order()
    {
        var scanner = Scanner();
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);
        _proc.Listen(200, 7, "::", 8000, 5);
        scanner.Scan(s_t0);
        _proc.Listen(102, 21, "127.0.0.1", 5173, 9001);
        scanner.Scan(s_t0.AddSeconds(1));

        scanner.Entries().Select(e => (e.Port, e.FirstSeen)).Should().Equal((8000, s_t0), (5173, s_t0.AddSeconds(1)));
    }

    [Fact]
    public void Marks_ready_only_the_socket_that_was_probed()
    {
        var scanner = Scanner();
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);
        scanner.Scan(s_t0);

        scanner.MarkReady(8000, inode: 999).Should().BeFalse("a stale probe of another socket");
        scanner.MarkReady(8000, inode: 4).Should().BeTrue();
        scanner.MarkReady(8000, inode: 4).Should().BeFalse("already ready");
        scanner.Entries().Single().Ready.Should().BeTrue();
    }

    [Fact]
    public void With_an_owner_pid_root_lists_only_its_descendants()
    {
        var scanner = Scanner(ownerPidRoot: 100);
        _proc.Listen(102, 21, "127.0.0.1", 5173, 9001);
        _proc.Listen(100, 22, "127.0.0.1", 4000, 9002);
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);

        scanner.Scan(s_t0);

        scanner.Entries().Select(e => e.Port).Should().Equal(5173);
    }

    [Fact]
    public void Walks_the_process_table_only_for_sockets_it_has_not_seen()
    {
        var scanner = Scanner();
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);
        scanner.Scan(s_t0);

        // The owner is cached by inode: even with the fd link gone, the entry stays and keeps its owner.
        File.Delete(Path.Join(_proc.Root, "200", "fd", "6"));
        scanner.Scan(s_t0.AddSeconds(1)).Should().BeFalse();
        scanner.Entries().Single().Pid.Should().Be(200);
    }

    [Fact]
    public void An_owner_not_found_is_looked_for_again_with_backoff_and_then_names_the_entry()
    {
        var scanner = Scanner();
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);
        File.Delete(Path.Join(_proc.Root, "200", "fd", "6"));

        scanner.Scan(s_t0).Should().BeTrue();
        scanner.Entries().Single().Pid.Should().Be(0, "no process holds the socket where we can see it");
        scanner.MarkReady(8000, 4).Should().BeTrue();
        scanner.Scan(s_t0.AddSeconds(2)).Should().BeFalse("the second look, after UnresolvedRetry, fails too");

        // The socket turns up in a child the holder forked (fd inheritance): a new process, which a look again reads.
        _proc.Process(400, 200, "python3", "/usr/bin/python3", "-m", "http.server", "8000");
        File.CreateSymbolicLink(Path.Join(_proc.Root, "400", "fd", "3"), "socket:[4]");
        scanner.Scan(s_t0.AddSeconds(5)).Should().BeFalse("the third look waits twice as long: 4 s after the second");
        scanner.Entries().Single().Pid.Should().Be(0);

        scanner.Scan(s_t0.AddSeconds(6)).Should().BeTrue();
        scanner.Entries().Single().Should().BeEquivalentTo(new { Port = 8000, Pid = 400, Process = "python3", FirstSeen = s_t0, Ready = true });
    }

    [Fact]
    public void Looking_again_reads_only_processes_started_since_the_full_walk()
    {
        var files = new ProcFiles(_proc.Root);
        var resolver = new SocketOwnerResolver(files, ownerPidRoot: null);
        var owners = new Dictionary<ulong, SocketOwner>();

        resolver.Resolve([77], owners).Should().Be(0);
        resolver.LastWalked.Should().Be(6, "a first look reads every process");

        _proc.Process(400, 1, "node", "node", "server.js");
        resolver.Resolve([77], owners, onlyNewProcesses: true).Should().Be(0);
        resolver.LastWalked.Should().Be(1, "only the process started since");

        File.CreateSymbolicLink(Path.Join(_proc.Root, "200", "fd", "9"), "socket:[77]");
        resolver.Resolve([77], owners, onlyNewProcesses: true).Should().Be(0, "an fd passed into an old process waits for the next full walk");
        resolver.LastWalked.Should().Be(0);
        resolver.Resolve([77], owners).Should().Be(1);
        owners[77].Pid.Should().Be(200);
    }

    public void Dispose() => _proc.Dispose();

    private PortScanner Scanner(int[]? ignored = null, int? ownerPidRoot = null)
    {
        var files = new ProcFiles(_proc.Root);
        return new PortScanner(new ProcNetTcpSource(files), new SocketOwnerResolver(files, ownerPidRoot), ignored ?? [3001, 8080, 8081, 8082, 5080], ownerPidRoot is not null, TimeSpan.FromSeconds(2));
    }
}

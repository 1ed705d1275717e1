using System.Net;
using Whim.PortMonitor.Table;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// One scan of the socket tables turned into the port table: reads the LISTEN sockets from its source (netlink
/// <c>sock_diag</c> or <c>/proc/net/tcp{,6}</c>, see <see cref="IListeningSocketSource"/>), keeps those on ports
/// that are not ignored, looks up owners only for inodes it has not seen, and diffs the result against the previous
/// table. Steady-state scans (nothing new) allocate nothing. Not thread-safe: the
/// caller serialises calls.
/// </summary>
internal sealed class PortScanner
{
    private readonly SocketOwnerResolver _resolver;
    private readonly HashSet<int> _ignored;
    private readonly bool _scoped;
    /// <summary>The longest wait before looking again for the owner of a socket that was never found.</summary>
    public static readonly TimeSpan MaxUnresolvedRetry = TimeSpan.FromMinutes(5);

    private readonly TimeSpan _unresolvedRetry;
    private readonly IListeningSocketSource _source;

    private readonly List<ListeningSocket> _sockets = new(256);
    private readonly Dictionary<ulong, SocketOwner> _owners = [];
    private readonly Dictionary<ulong, (DateTimeOffset RetryAt, int Failures, bool Capped)> _unresolvedUntil = [];
    private readonly HashSet<ulong> _seenInodes = [];
    private readonly HashSet<ulong> _unknown = [];
    private readonly Dictionary<int, ListeningSocket> _listening = [];
    private readonly Dictionary<int, PortEntry> _entries = [];
    private readonly List<int> _removed = [];
    private readonly List<ulong> _stale = [];

    public PortScanner(IListeningSocketSource source, SocketOwnerResolver resolver, IEnumerable<int> ignoredPorts, bool scoped, TimeSpan unresolvedRetry)
    {
        _resolver = resolver;
        _ignored = [.. ignoredPorts];
        _scoped = scoped;
        _unresolvedRetry = unresolvedRetry;
        _source = source;
    }

    /// <summary>Where the sockets are read from (<c>sock_diag</c> or <c>proc</c>).</summary>
    public string SourceName => _source.Name;

    /// <summary>Processes whose fd tables the last scan read to find owners (0 when every socket was known).</summary>
    public int ProcessesRead { get; private set; }

    /// <summary>Sockets seen in the last scan (LISTEN, any port).</summary>
    public int SocketCount => _sockets.Count;

    /// <summary>Reads the tables and updates the entries; true when the table changed.</summary>
    public bool Scan(DateTimeOffset now)
    {
        _sockets.Clear();
        ProcessesRead = 0;
        _source.Read(_sockets);

        _seenInodes.Clear();
        _unknown.Clear();
        foreach (var socket in _sockets)
        {
            if (_ignored.Contains(socket.Port))
            {
                continue;
            }

            _seenInodes.Add(socket.Inode);
            if (!_owners.ContainsKey(socket.Inode)
                && (!_unresolvedUntil.TryGetValue(socket.Inode, out var unresolved) || unresolved.RetryAt <= now))
            {
                _unknown.Add(socket.Inode);
            }
        }

        if (_unknown.Count > 0)
        {
            // Looks again for owners a full walk missed read only processes started since, until the backoff has
            // reached its cap; then one full walk (an fd passed into an old process) and the cycle starts over.
            var onlyNewProcesses = true;
            foreach (var inode in _unknown)
            {
                if (!_unresolvedUntil.TryGetValue(inode, out var unresolved) || unresolved.Capped)
                {
                    onlyNewProcesses = false;
                    break;
                }
            }

            _resolver.Resolve(_unknown, _owners, onlyNewProcesses);
            ProcessesRead = _resolver.LastWalked;
            foreach (var inode in _unknown)
            {
                if (_owners.ContainsKey(inode))
                {
                    _unresolvedUntil.Remove(inode);
                }
                else
                {
                    // Each look is a walk of every process's fds, and a socket whose owner could not be seen (a
                    // process in another pid namespace, a socket passed on and closed) rarely becomes visible later:
                    // look again after UnresolvedRetry, then back off doubling up to MaxUnresolvedRetry.
                    var failures = _unresolvedUntil.TryGetValue(inode, out var before) && !before.Capped ? before.Failures + 1 : 1;
                    var delay = _unresolvedRetry * Math.Pow(2, Math.Min(failures - 1, 16));
                    var capped = delay >= MaxUnresolvedRetry;
                    _unresolvedUntil[inode] = (now + (capped ? MaxUnresolvedRetry : delay), failures, capped);
                }
            }
        }

        _listening.Clear();
        foreach (var socket in _sockets)
        {
            if (_ignored.Contains(socket.Port))
            {
                continue;
            }

            var known = _owners.TryGetValue(socket.Inode, out var owner);
            if ((known && !owner!.InScope) || (!known && _scoped))
            {
                continue;
            }

            _listening.TryAdd(socket.Port, socket);
        }

        var changed = false;
        _removed.Clear();
        foreach (var port in _entries.Keys)
        {
            if (!_listening.ContainsKey(port))
            {
                _removed.Add(port);
            }
        }

        foreach (var port in _removed)
        {
            _entries.Remove(port);
            changed = true;
        }

        foreach (var (port, socket) in _listening)
        {
            _owners.TryGetValue(socket.Inode, out var owner);
            if (_entries.TryGetValue(port, out var existing) && (existing.Inode == socket.Inode || (owner is not null && owner.Pid == existing.Pid)))
            {
                // An owner found on a later look names the entry; it keeps when it was first seen and its readiness.
                if (existing.Pid == 0 && owner is not null)
                {
                    _entries[port] = existing with { Pid = owner.Pid, Process = owner.Process, Command = owner.Command };
                    changed = true;
                }

                continue;
            }

            _entries[port] = NewEntry(socket, owner, now);
            changed = true;
        }

        PruneCaches();
        return changed;
    }

    /// <summary>Marks the port ready if it is still held by the same socket; true when that changed the table.</summary>
    public bool MarkReady(int port, ulong inode)
    {
        if (!_entries.TryGetValue(port, out var entry) || entry.Inode != inode || entry.Ready)
        {
            return false;
        }

        _entries[port] = entry with { Ready = true };
        return true;
    }

    /// <summary>Entries that still wait for their first answer.</summary>
    public void CollectUnready(List<PortEntry> into)
    {
        foreach (var entry in _entries.Values)
        {
            if (!entry.Ready)
            {
                into.Add(entry);
            }
        }
    }

    /// <summary>The entries ordered by first seen, then port.</summary>
    public List<PortEntry> Entries()
    {
        var list = new List<PortEntry>(_entries.Values);
        list.Sort(static (a, b) => a.FirstSeen != b.FirstSeen ? a.FirstSeen.CompareTo(b.FirstSeen) : a.Port.CompareTo(b.Port));
        return list;
    }

    private static PortEntry NewEntry(ListeningSocket socket, SocketOwner? owner, DateTimeOffset now) =>
        new(
            socket.Port,
            socket.Family == SocketFamily.IPv4 ? "ipv4" : "ipv6",
            socket.ToIPAddress().ToString(),
            owner?.Pid ?? 0,
            owner?.Process ?? string.Empty,
            owner?.Command ?? string.Empty,
            now,
            Ready: false)
        { Inode = socket.Inode };

    // Forget sockets that have closed so the caches do not grow with every short-lived listener.
    private void PruneCaches()
    {
        if (_owners.Count + _unresolvedUntil.Count <= (2 * _seenInodes.Count) + 64)
        {
            return;
        }

        _stale.Clear();
        foreach (var inode in _owners.Keys)
        {
            if (!_seenInodes.Contains(inode))
            {
                _stale.Add(inode);
            }
        }

        foreach (var inode in _unresolvedUntil.Keys)
        {
            if (!_seenInodes.Contains(inode))
            {
                _stale.Add(inode);
            }
        }

        foreach (var inode in _stale)
        {
            _owners.Remove(inode);
            _unresolvedUntil.Remove(inode);
        }
    }
}

/// <summary>Where a local client reaches a socket bound to <c>address</c>: wildcards and v4-mapped addresses become loopback.</summary>
internal static class ProbeTarget
{
    public static IPAddress For(string family, string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return family == "ipv6" ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.Equals(IPAddress.Any))
        {
            return IPAddress.Loopback;
        }

        return ip.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : ip;
    }
}

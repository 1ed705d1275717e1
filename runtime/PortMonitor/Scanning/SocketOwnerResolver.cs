using System.Globalization;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// Finds which process holds each socket inode by reading the links in <c>/proc/&lt;pid&gt;/fd</c>
/// (<c>socket:[inode]</c>), then names it from <c>comm</c>, <c>cmdline</c> and its ancestors (<c>stat</c>).
/// This walk is the expensive part of a scan, so the scanner only asks about inodes it has not seen before.
/// </summary>
internal sealed class SocketOwnerResolver(ProcFiles proc, int? ownerPidRoot)
{
    private const int MaxAncestors = 64;

    private readonly ProcDirectory _directory = new();
    private readonly List<ulong> _fdInodes = [];

    // The pids whose fds were all read by the last walk that ended with inodes still unfound.
    private HashSet<int> _walkedInFull = [];

    /// <summary>Processes whose fd tables the last call read (for tests and the scan metrics).</summary>
    public int LastWalked { get; private set; }

    /// <summary>
    /// Resolves as many of <paramref name="inodes"/> as it can into <paramref name="owners"/>; returns how many. With
    /// <paramref name="onlyNewProcesses"/> (looking again for owners a full walk did not find) only processes that
    /// were not there at that walk are read: an fd can only have moved into a process by fork or fd passing, and
    /// that is almost always a new one. The fd tables of long-lived processes holding thousands of connections are
    /// then not read again and again.
    /// </summary>
    public int Resolve(HashSet<ulong> inodes, Dictionary<ulong, SocketOwner> owners, bool onlyNewProcesses = false)
    {
        ArgumentNullException.ThrowIfNull(inodes);
        ArgumentNullException.ThrowIfNull(owners);
        var pending = new HashSet<ulong>(inodes);
        var resolved = 0;
        var pids = PidsNewestFirst();
        LastWalked = 0;
        foreach (var pid in pids)
        {
            if (pending.Count == 0)
            {
                break;
            }

            if (onlyNewProcesses && _walkedInFull.Contains(pid))
            {
                continue;
            }

            LastWalked++;

            SocketOwner? owner = null;
            _fdInodes.Clear();
            _directory.ReadSocketInodes(proc.Path(pid.ToString(CultureInfo.InvariantCulture) + "/fd"), _fdInodes);
            foreach (var inode in _fdInodes)
            {
                if (!pending.Remove(inode))
                {
                    continue;
                }

                owner ??= Describe(pid);
                if (owner is not null)
                {
                    owners[inode] = owner;
                    resolved++;
                }
            }
        }

        if (pending.Count > 0)
        {
            // Every process (or every new one) was read: remember them, so looking again reads only newcomers.
            if (onlyNewProcesses)
            {
                _walkedInFull.UnionWith(pids);
            }
            else
            {
                _walkedInFull = [.. pids];
            }
        }

        return resolved;
    }

    /// <summary>Reads one process: parent, name and arguments; null when it has gone.</summary>
    public ProcessInfo? ReadProcess(int pid)
    {
        var p = pid.ToString(CultureInfo.InvariantCulture);
        var stat = proc.ReadText(p + "/stat");
        if (stat is null)
        {
            return null;
        }

        // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
        var close = stat.LastIndexOf(')');
        var parent = 0;
        if (close > 0)
        {
            var rest = stat.AsSpan(close + 1).Trim();
            var space = rest.IndexOf(' ');
            if (space > 0)
            {
                rest = rest[(space + 1)..];
                var end = rest.IndexOf(' ');
                _ = int.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out parent);
            }
        }

        var comm = (proc.ReadText(p + "/comm") ?? string.Empty).TrimEnd('\n');
        if (comm.Length == 0 && close > 0)
        {
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            comm = open >= 0 ? stat[(open + 1)..close] : string.Empty;
        }

        var cmdline = proc.ReadText(p + "/cmdline") ?? string.Empty;
        var argv = cmdline.Split('\0', StringSplitOptions.RemoveEmptyEntries);

        // A process that rewrote its title ("npm run dev") leaves one argument holding spaces.
        if (argv.Length == 1 && argv[0].Contains(' ', StringComparison.Ordinal))
        {
            argv = argv[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        return new ProcessInfo(pid, parent, comm, argv);
    }

    private SocketOwner? Describe(int pid)
    {
        var self = ReadProcess(pid);
        if (self is null)
        {
            return null;
        }

        var chain = new List<ProcessInfo> { self };
        var inScope = ownerPidRoot is null;
        var current = self;
        for (var i = 0; i < MaxAncestors && current.ParentPid > 0; i++)
        {
            if (current.ParentPid == ownerPidRoot)
            {
                inScope = true;
            }

            var parent = ReadProcess(current.ParentPid);
            if (parent is null)
            {
                break;
            }

            chain.Add(parent);
            current = parent;
        }

        return new SocketOwner(pid, self.Comm, CommandNamer.Name(chain), inScope);
    }

    private List<int> PidsNewestFirst()
    {
        var pids = new List<int>();
        ProcDirectory.ReadNumericNames(proc.Root, pids);

        // A new listener most likely belongs to a recent process.
        pids.Sort(static (a, b) => b.CompareTo(a));
        return pids;
    }
}

namespace Whim.PortMonitor.Scanning;

/// <summary>Where a scan reads the LISTEN sockets from.</summary>
internal interface IListeningSocketSource
{
    /// <summary>For logs and metrics: <c>sock_diag</c> or <c>proc</c>.</summary>
    string Name { get; }

    /// <summary>Appends the TCP LISTEN sockets of both families to <paramref name="into"/>.</summary>
    void Read(List<ListeningSocket> into);
}

/// <summary>
/// The portable source: <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c> under the proc root. The kernel prints every
/// TCP socket of the namespace there, so its cost grows with the open connections, not just the listeners.
/// </summary>
internal sealed class ProcNetTcpSource(ProcFiles proc) : IListeningSocketSource
{
    private readonly string _tcpPath = proc.Path("net/tcp");
    private readonly string _tcp6Path = proc.Path("net/tcp6");
    private byte[] _buffer = new byte[64 * 1024];

    public string Name => "proc";

    public void Read(List<ListeningSocket> into)
    {
        ReadTable(_tcpPath, into);
        ReadTable(_tcp6Path, into);
    }

    private void ReadTable(string path, List<ListeningSocket> into)
    {
        var length = ProcFiles.ReadAll(path, ref _buffer);
        if (length > 0)
        {
            ProcNetTcpParser.Parse(_buffer.AsSpan(0, length), into);
        }
    }
}

/// <summary>
/// Uses netlink <c>sock_diag</c> and falls back to <c>/proc</c> for good the first time a dump fails (a kernel or
/// sandbox without it, a seccomp rule), so a scan never fails because of the fast path.
/// </summary>
internal sealed partial class FallbackSocketSource(IListeningSocketSource preferred, IListeningSocketSource fallback, ILogger logger) : IListeningSocketSource
{
    private bool _fellBack;

    public string Name => _fellBack ? fallback.Name : preferred.Name;

    public void Read(List<ListeningSocket> into)
    {
        if (_fellBack)
        {
            fallback.Read(into);
            return;
        }

        var mark = into.Count;
        try
        {
            preferred.Read(into);
        }
        catch (IOException e)
        {
            into.RemoveRange(mark, into.Count - mark);
            Log.FellBack(logger, preferred.Name, fallback.Name, e.Message);
            _fellBack = true;
            fallback.Read(into);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, EventName = "SocketSourceFellBack", Level = LogLevel.Warning, Message = "Reading sockets with {Preferred} failed ({Reason}); using {Fallback} from now on")]
        public static partial void FellBack(ILogger logger, string preferred, string fallback, string reason);
    }
}

/// <summary>Picks the socket source for <c>WHIM_PORTMONITOR__SOURCE</c>.</summary>
internal static partial class SocketSourceChoice
{
    public static IListeningSocketSource Choose(string setting, ProcFiles proc, ILogger logger)
    {
        var procSource = new ProcNetTcpSource(proc);
        var wantsNetlink = setting == "sock_diag" || (setting == "auto" && string.Equals(Path.TrimEndingDirectorySeparator(proc.Root), "/proc", StringComparison.Ordinal));
        if (!wantsNetlink)
        {
            Log.Chosen(logger, procSource.Name, setting == "proc" ? "configured" : "the proc root is not /proc");
            return procSource;
        }

        if (SockDiagSource.TryOpen(out var reason) is { } netlink)
        {
            Log.Chosen(logger, netlink.Name, "the kernel answers LISTEN-only dumps");
            return new FallbackSocketSource(netlink, procSource, logger);
        }

        Log.Chosen(logger, procSource.Name, "sock_diag is not available: " + reason);
        return procSource;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 21, EventName = "SocketSourceChosen", Level = LogLevel.Information, Message = "Reading listening sockets with {Source}: {Why}")]
        public static partial void Chosen(ILogger logger, string source, string why);
    }
}

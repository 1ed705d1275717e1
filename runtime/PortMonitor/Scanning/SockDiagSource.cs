using System.Runtime.InteropServices;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// The fast source: a netlink <c>NETLINK_SOCK_DIAG</c> dump asking the kernel for TCP sockets in state LISTEN only.
/// The kernel then walks just its listening hash, so a scan costs the same with 10 or 10,000 open connections, and
/// nothing is formatted as text. Both families come from one <c>TCPDIAG_GETSOCK</c> dump when the kernel answers it
/// (one walk of the listening hash and three syscalls a scan), else from one <c>SOCK_DIAG_BY_FAMILY</c> dump each.
/// One netlink socket is kept open and reused; a dump that fails or times out (1 s) throws
/// <see cref="IOException"/>, and the caller falls back to <see cref="ProcNetTcpSource"/>.
/// </summary>
internal sealed partial class SockDiagSource : IListeningSocketSource, IDisposable
{
    private const int AfNetlink = 16;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const int SolSocket = 1;
    private const int SoRcvTimeo = 20;
    private const int Eintr = 4;

    private readonly SafeFileDescriptor _socket;
    private readonly byte[] _request = new byte[SockDiagMessages.BothFamiliesRequestLength];
    private readonly byte[] _buffer = new byte[64 * 1024];
    private uint _sequence;
    private bool _bothFamiliesAtOnce = true;

    private SockDiagSource(SafeFileDescriptor socket) => _socket = socket;

    public string Name => "sock_diag";

    /// <summary>True when one <c>TCPDIAG_GETSOCK</c> dump answers for both families (false: a dump per family).</summary>
    public bool BothFamiliesAtOnce => _bothFamiliesAtOnce;

    /// <summary>Opens the netlink socket and runs one dump to prove it works; null (with the reason) when it does not.</summary>
    public static SockDiagSource? TryOpen(out string? reason)
    {
        var fd = Native.Socket(AfNetlink, SockDgram | SockCloexec, NetlinkSockDiag);
        if (fd < 0)
        {
            reason = $"socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed: errno {Marshal.GetLastPInvokeError()}";
            return null;
        }

        var source = new SockDiagSource(new SafeFileDescriptor(fd));
        try
        {
            source.SetReceiveTimeout(TimeSpan.FromSeconds(1));
            try
            {
                source.Read([]);
            }
            catch (IOException)
            {
                source._bothFamiliesAtOnce = false;
                source.Read([]);
            }

            reason = null;
            return source;
        }
        catch (IOException e)
        {
            source.Dispose();
            reason = e.Message;
            return null;
        }
    }

    public void Read(List<ListeningSocket> into)
    {
        if (_bothFamiliesAtOnce)
        {
            var sequence = ++_sequence;
            SockDiagMessages.WriteBothFamiliesListenDumpRequest(_request, sequence);
            Dump(SockDiagMessages.BothFamiliesRequestLength, sequence, into);
            return;
        }

        Dump(SockDiagMessages.AfInet, into);
        Dump(SockDiagMessages.AfInet6, into);
    }

    public void Dispose() => _socket.Dispose();

    private void Dump(byte family, List<ListeningSocket> into)
    {
        var sequence = ++_sequence;
        SockDiagMessages.WriteListenDumpRequest(_request, family, sequence);
        Dump(SockDiagMessages.RequestLength, sequence, into);
    }

    private unsafe void Dump(int requestLength, uint sequence, List<ListeningSocket> into)
    {
        var fd = _socket.Fd;
        nint result;
        fixed (byte* request = _request)
        {
            do
            {
                result = Native.Send(fd, request, requestLength, 0);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);
        }

        if (result < 0)
        {
            throw new IOException($"sock_diag send failed: errno {Marshal.GetLastPInvokeError()}");
        }

        while (true)
        {
            fixed (byte* buffer = _buffer)
            {
                do
                {
                    result = Native.Recv(fd, buffer, _buffer.Length, 0);
                }
                while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);
            }

            if (result < 0)
            {
                throw new IOException($"sock_diag receive failed: errno {Marshal.GetLastPInvokeError()}");
            }

            var outcome = SockDiagMessages.Parse(_buffer.AsSpan(0, (int)result), sequence, into, out var error);
            if (outcome == SockDiagOutcome.Done)
            {
                return;
            }

            if (outcome == SockDiagOutcome.Failed)
            {
                throw new IOException($"sock_diag answered an error: {error}");
            }
        }
    }

    private unsafe void SetReceiveTimeout(TimeSpan timeout)
    {
        Span<long> timeval = [(long)timeout.TotalSeconds, timeout.Microseconds];
        fixed (long* value = timeval)
        {
            if (Native.SetSockOpt(_socket.Fd, SolSocket, SoRcvTimeo, value, sizeof(long) * 2) < 0)
            {
                throw new IOException($"setsockopt(SO_RCVTIMEO) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }

    private sealed class SafeFileDescriptor(int fd) : SafeHandle(fd, ownsHandle: true)
    {
        public int Fd => (int)handle;

        public override bool IsInvalid => handle < 0;

        protected override bool ReleaseHandle() => Native.Close((int)handle) == 0;
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
        public static partial int Socket(int domain, int type, int protocol);

        [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
        public static partial nint Send(int fd, byte* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
        public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

        [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Whim.LocalProxy.Transport;

/// <summary>The Linux calls the epoll transport makes (libc, no marshalling: AOT-clean).</summary>
internal static unsafe partial class Native
{
    public const int EAgain = 11;
    public const int EIntr = 4;
    public const int EInProgress = 115;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 0x80000000;

    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockStream = 1;
    public const int SockNonBlock = 0x800;
    public const int SockCloExec = 0x80000;
    public const int MsgNoSignal = 0x4000;
    public const int ShutWrite = 1;
    public const int ShutBoth = 2;

    public const int SolSocket = 1;
    public const int SoError = 4;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;

    /// <summary>Room for a <c>sockaddr_in6</c> (the larger of the two families).</summary>
    public const int SockAddrSize = 28;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epoll, int op, int fd, EpollEvent* registration);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, EpollEvent* events, int max, int timeout);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int family, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>A socket error for an errno value, with the <see cref="SocketError"/> .NET code would report.</summary>
    public static SocketException Error(int errno) => new((int)(errno switch
    {
        104 => SocketError.ConnectionReset,
        32 => SocketError.Shutdown,
        111 => SocketError.ConnectionRefused,
        110 => SocketError.TimedOut,
        107 => SocketError.NotConnected,
        99 => SocketError.AddressNotAvailable,
        97 => SocketError.AddressFamilyNotSupported,
        103 => SocketError.ConnectionAborted,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        24 or 23 => SocketError.TooManyOpenSockets,
        105 or 12 => SocketError.NoBufferSpaceAvailable,
        _ => SocketError.SocketError,
    }));

    /// <summary>Writes <paramref name="endpoint"/> as a <c>sockaddr_in</c> or <c>sockaddr_in6</c>; returns its length.</summary>
    public static int WriteAddress(IPEndPoint endpoint, Span<byte> address)
    {
        address.Clear();
        address[2] = (byte)(endpoint.Port >> 8);
        address[3] = (byte)endpoint.Port;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(address, (ushort)AfInet);
            endpoint.Address.TryWriteBytes(address[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(address, (ushort)AfInet6);
        endpoint.Address.TryWriteBytes(address[8..24], out _);
        BitConverter.TryWriteBytes(address[24..28], (uint)endpoint.Address.ScopeId);
        return SockAddrSize;
    }

    /// <summary>Reads a <c>sockaddr_in</c> or <c>sockaddr_in6</c>; null for another family.</summary>
    public static IPEndPoint? ReadAddress(ReadOnlySpan<byte> address)
    {
        var port = (address[2] << 8) | address[3];
        return BitConverter.ToUInt16(address) switch
        {
            AfInet => new IPEndPoint(new IPAddress(address[4..8]), port),
            AfInet6 => new IPEndPoint(new IPAddress(address[8..24], BitConverter.ToUInt32(address[24..28])), port),
            _ => null,
        };
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}

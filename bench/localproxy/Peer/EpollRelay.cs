using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Whim.Bench.LocalProxyPeer;

/// <summary>
/// The no-HTTP relay on an epoll loop of its own (see Program.cs): per thread a SO_REUSEPORT listener and a
/// level-triggered epoll set; a readable socket is read once and what came is sent to its peer. Bench code: a send is
/// assumed to take everything (true for this bench's small messages on loopback).
/// </summary>
internal static unsafe partial class EpollRelay
{
    private const int EpollCtlAdd = 1;
    private const uint EpollIn = 0x001;
    private const int SockNonBlock = 0x800;

    public static void Run(int listenPort, int upstreamPort)
    {
        var threads = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new Thread(() => Loop(listenPort, upstreamPort))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    private static void Loop(int listenPort, int upstreamPort)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetRawSocketOption(1, 15, BitConverter.GetBytes(1)); // SOL_SOCKET, SO_REUSEPORT
        listener.Bind(new IPEndPoint(IPAddress.Loopback, listenPort));
        listener.Listen(512);
        listener.Blocking = false;
        var listenFd = (int)listener.Handle;
        var epoll = EpollCreate1(0);
        Add(epoll, listenFd);
        var peers = new Dictionary<int, int>();
        var upstreams = new Dictionary<int, Socket>();
        var events = stackalloc EpollEvent[256];
        var buffer = new byte[16384];
        var one = 1;
        while (true)
        {
            var count = EpollWait(epoll, events, 256, -1);
            for (var i = 0; i < count; i++)
            {
                var fd = (int)events[i].Data;
                if (fd == listenFd)
                {
                    int client;
                    while ((client = Accept4(listenFd, IntPtr.Zero, IntPtr.Zero, SockNonBlock)) >= 0)
                    {
                        SetSockOpt(client, 6, 1, &one, sizeof(int)); // IPPROTO_TCP, TCP_NODELAY
                        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        upstream.Connect(new IPEndPoint(IPAddress.Loopback, upstreamPort));
                        upstream.Blocking = false;
                        var upstreamFd = (int)upstream.Handle;
                        upstreams[upstreamFd] = upstream;
                        peers[client] = upstreamFd;
                        peers[upstreamFd] = client;
                        Add(epoll, client);
                        Add(epoll, upstreamFd);
                    }

                    continue;
                }

                if (!peers.TryGetValue(fd, out var peer))
                {
                    continue;
                }

                nint read;
                fixed (byte* data = buffer)
                {
                    read = Recv(fd, data, buffer.Length, 0);
                    if (read > 0)
                    {
                        Send(peer, data, read, 0);
                        continue;
                    }
                }

                if (read < 0 && Marshal.GetLastPInvokeError() == 11)
                {
                    continue;
                }

                foreach (var end in new[] { fd, peer })
                {
                    peers.Remove(end);
                    if (upstreams.Remove(end, out var socket))
                    {
                        socket.Dispose();
                    }
                    else
                    {
                        Close(end);
                    }
                }
            }
        }
    }

    private static void Add(int epoll, int fd)
    {
        var registration = new EpollEvent { Events = EpollIn, Data = (ulong)fd };
        EpollCtl(epoll, EpollCtlAdd, fd, &registration);
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int op, int fd, EpollEvent* registration);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, EpollEvent* events, int max, int timeout);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(int fd, IntPtr address, IntPtr length, int flags);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}

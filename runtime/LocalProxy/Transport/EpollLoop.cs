using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Whim.LocalProxy.Transport;

/// <summary>
/// One thread waiting on one epoll set, dispatching each readiness event to its <see cref="EpollSocket"/>, where the
/// awaiting code continues inline: a request arrives, is parsed, forwarded and answered on this thread, without a
/// hand-off to the thread pool or a receive call that finds nothing (nginx's model). Sockets are registered
/// edge-triggered once, for reading and writing; the process shares <see cref="Shared"/>, one loop per core.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;
    private static readonly Lazy<EpollLoop[]> Loops = new(static () =>
        Enumerable.Range(0, Environment.ProcessorCount).Select(static i => new EpollLoop(i)).ToArray());

    [ThreadStatic]
    private static EpollLoop? t_current;
    private static int s_next;
    private static long s_faults;

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, EpollSocket> _sockets = new();
    private long _nextId;

    private EpollLoop(int index)
    {
        _epoll = Native.EpollCreate1(Native.SockCloExec);
        if (_epoll < 0)
        {
            throw Native.Error(Marshal.GetLastPInvokeError());
        }

        new Thread(Run) { IsBackground = true, Name = $"whim-epoll-{index}" }.Start();
    }

    /// <summary>Exceptions that reached a loop from an event's dispatch (a bug: continuations keep their own).</summary>
    public static long Faults => Interlocked.Read(ref s_faults);

    /// <summary>The process's loops, one per core, started on first use.</summary>
    public static EpollLoop[] Shared => Loops.Value;

    /// <summary>The loop the caller runs on, if it runs on one.</summary>
    public static EpollLoop? Current => t_current;

    /// <summary>The loop the caller runs on (a dev-server connection opened there stays on the same thread), or the next one in turn.</summary>
    public static EpollLoop Pick() => t_current ?? Next();

    /// <summary>The next loop in turn (new client connections are spread over the loops this way).</summary>
    public static EpollLoop Next()
    {
        var loops = Shared;
        return loops[(uint)Interlocked.Increment(ref s_next) % (uint)loops.Length];
    }

    /// <summary>Registers <paramref name="socket"/> (edge-triggered: in, out, peer's half-close); returns its id.</summary>
    public ulong Add(EpollSocket socket, int fd)
    {
        var id = (ulong)Interlocked.Increment(ref _nextId);
        _sockets[id] = socket;
        var registration = new Native.EpollEvent
        {
            Events = Native.EpollIn | Native.EpollOut | Native.EpollRdHup | Native.EpollEt,
            Data = id,
        };
        if (Native.EpollCtl(_epoll, Native.EpollCtlAdd, fd, &registration) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _sockets.TryRemove(id, out _);
            throw Native.Error(errno);
        }

        return id;
    }

    /// <summary>Stops events for a socket about to be closed (an event already taken from the set finds no socket).</summary>
    public void Remove(ulong id, int fd)
    {
        Native.EpollCtl(_epoll, Native.EpollCtlDel, fd, null);
        _sockets.TryRemove(id, out _);
    }

    private void Run()
    {
        t_current = this;
        var events = (Native.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(Native.EpollEvent));
        while (true)
        {
            var count = Native.EpollWait(_epoll, events, MaxEvents, -1);
            for (var i = 0; i < count; i++)
            {
                if (_sockets.TryGetValue(events[i].Data, out var socket))
                {
                    try
                    {
                        socket.OnEvents(events[i].Events);
                    }
                    catch (Exception e)
                    {
                        // Continuations are async methods that keep their own exceptions; this is a bug, not an I/O error.
                        Interlocked.Increment(ref s_faults);
                        Console.Error.WriteLine($"epoll loop: unexpected {e.GetType().Name}: {e.Message}");
                    }
                }
            }
        }
    }
}

using System.Globalization;
using System.Net;
using Whim.PortMonitor.Scanning;
using Whim.Testing;

namespace Whim.PortMonitor.Tests.Scanning;

/// <summary>A folder laid out like /proc: net/tcp{,6}, and per process stat, comm, cmdline and fd links to sockets.</summary>
internal sealed class FakeProc : IDisposable
{
    private readonly TempRoot _root = new("whim-fakeproc-");
    private readonly List<ListeningSocket> _sockets = [];

    public FakeProc()
    {
        Directory.CreateDirectory(System.IO.Path.Join(Root, "net"));
        Write();
    }

    public string Root => _root.Path;

    public void Process(int pid, int parent, string comm, params string[] argv)
    {
        var dir = System.IO.Path.Join(Root, pid.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(System.IO.Path.Join(dir, "fd"));
        File.WriteAllText(System.IO.Path.Join(dir, "stat"), $"{pid} ({comm}) S {parent} {pid} {pid} 0 -1 4194560");
        File.WriteAllText(System.IO.Path.Join(dir, "comm"), comm + "\n");
        File.WriteAllText(System.IO.Path.Join(dir, "cmdline"), string.Join('\0', argv) + "\0");
    }

    public void Listen(int pid, int fd, string address, int port, ulong inode)
    {
        File.CreateSymbolicLink(
            System.IO.Path.Join(Root, pid.ToString(CultureInfo.InvariantCulture), "fd", fd.ToString(CultureInfo.InvariantCulture)),
            $"socket:[{inode}]");
        _sockets.Add(ListeningSocket.From(IPAddress.Parse(address), (ushort)port, inode));
        Write();
    }

    public void Close(ulong inode)
    {
        _sockets.RemoveAll(s => s.Inode == inode);
        Write();
    }

    public void Dispose() => _root.Dispose();

    private void Write()
    {
        File.WriteAllText(System.IO.Path.Join(Root, "net/tcp"), ProcNetTcpFormat.Table(_sockets.Where(s => s.Family == SocketFamily.IPv4), SocketFamily.IPv4));
        File.WriteAllText(System.IO.Path.Join(Root, "net/tcp6"), ProcNetTcpFormat.Table(_sockets.Where(s => s.Family == SocketFamily.IPv6), SocketFamily.IPv6));
    }
}

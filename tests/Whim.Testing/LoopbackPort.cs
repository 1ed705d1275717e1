using System.Net;
using System.Net.Sockets;

namespace Whim.Testing;

/// <summary>Free ports on the loopback, for processes that must be told their port up front.</summary>
public static class LoopbackPort
{
    /// <summary>Asks the kernel for a free loopback port. Prefer <c>--urls http://127.0.0.1:0</c> where the test can read the bound port back.</summary>
    public static int Reserve()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

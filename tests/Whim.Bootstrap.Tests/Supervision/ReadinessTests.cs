using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Whim.Bootstrap.Supervision;
using Whim.Testing;
using Xunit;

namespace Whim.Bootstrap.Tests.Supervision;

public sealed class ReadinessTests
{
    // Set only in this test's async flow, so exceptions of tests running beside it are not counted.
    private static readonly AsyncLocal<bool> s_probing = new();

    [Fact]
    public async Task A_closed_port_is_reported_as_not_accepting_and_a_listening_one_as_accepting()
    {
        var port = LoopbackPort.Reserve();
        var url = new Uri($"http://127.0.0.1:{port}/");
        (await Readiness.AcceptsConnectionsAsync(url, CancellationToken.None)).Should().BeFalse();

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen();
        (await Readiness.AcceptsConnectionsAsync(url, CancellationToken.None)).Should().BeTrue();
    }

    [Fact]
    public async Task Probing_a_closed_port_throws_no_exception()
    {
        var url = new Uri($"http://127.0.0.1:{LoopbackPort.Reserve()}/");
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (s_probing.Value)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            s_probing.Value = true;
            for (var i = 0; i < 20; i++)
            {
                (await Readiness.AcceptsConnectionsAsync(url, CancellationToken.None)).Should().BeFalse();
            }
        }
        finally
        {
            s_probing.Value = false;
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        thrown.Should().Be(0);
    }
}

using System.Net;
using FluentAssertions;
using Whim.LocalProxy.Routing;
using Xunit;

namespace Whim.LocalProxy.Tests.Routing;

public sealed class RouteTableTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_primary_is_the_earliest_ready_port()
    {
        var table = RouteTable.From(
        [
            new PortTableEntry(9000, "ipv4", "0.0.0.0", s_t0, Ready: false),
            new PortTableEntry(5173, "ipv6", "::1", s_t0.AddSeconds(2), Ready: true),
            new PortTableEntry(3000, "ipv4", "127.0.0.1", s_t0.AddSeconds(1), Ready: true),
        ]);

        table.PrimaryPort.Should().Be(3000);
        table.Find(9000)!.Ready.Should().BeFalse();
    }

    [Theory]
    [InlineData("ipv4", "0.0.0.0", "127.0.0.1")]
    [InlineData("ipv4", "127.0.0.5", "127.0.0.5")]
    [InlineData("ipv6", "::", "::1")]
    [InlineData("ipv6", "::1", "::1")]
    [InlineData("ipv6", "::ffff:127.0.0.1", "127.0.0.1")]
    [InlineData("ipv4", "10.1.2.3", "127.0.0.1")]
    [InlineData("ipv6", "2001:db8::1", "::1")]
    [InlineData("ipv4", "not-an-address", "127.0.0.1")]
    public void Every_target_is_a_loopback_address(string family, string address, string expected)
    {
        var target = RouteTable.LoopbackTarget(family, address);
        target.Should().Be(IPAddress.Parse(expected));
        IPAddress.IsLoopback(target).Should().BeTrue();
    }
}

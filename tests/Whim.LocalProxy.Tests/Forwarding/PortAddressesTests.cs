using System.Net;
using FluentAssertions;
using Whim.LocalProxy.Forwarding;
using Xunit;

namespace Whim.LocalProxy.Tests.Forwarding;

public sealed class PortAddressesTests
{
    [Theory]
    [InlineData("127.0.0.1", "http://127.0.0.1:5173/")]
    [InlineData("::1", "http://[::1]:5173/")]
    [InlineData("127.0.0.2", "http://127.0.0.2:5173/")]
    public void The_destination_names_the_loopback_address_to_connect_to(string target, string expected)
    {
        var destination = PortAddresses.For(5173).Destination(IPAddress.Parse(target));

        destination.Should().Be(expected);
        var uri = new Uri(destination);
        IPAddress.Parse(uri.IdnHost).Should().Be(IPAddress.Parse(target), "the connector reads the address back from the host SocketsHttpHandler pools by");
        PortAddresses.For(5173).Authority.Should().Be("localhost:5173", "the dev server still sees its own localhost authority");
    }

    [Fact]
    public void The_common_destinations_are_built_once_per_port()
    {
        var addresses = PortAddresses.For(4321);

        addresses.Destination(IPAddress.Loopback).Should().BeSameAs(addresses.Destination(IPAddress.Loopback));
        addresses.Destination(IPAddress.IPv6Loopback).Should().BeSameAs(addresses.Destination(IPAddress.IPv6Loopback));
        PortAddresses.For(4321).Should().BeSameAs(addresses);
    }
}

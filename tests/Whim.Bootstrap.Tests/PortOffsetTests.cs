using FluentAssertions;
using Whim.Bootstrap.Supervision;
using Xunit;

namespace Whim.Bootstrap.Tests;

public sealed class PortOffsetTests
{
    [Theory]
    [InlineData(32768)]
    [InlineData(28000)]
    public void Every_service_port_lies_below_the_ephemeral_range(int ephemeralStart)
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var offset = PortOffset.Next(ephemeralStart, random);
            ServiceDefinition.Runtime(offset).Append(ServiceDefinition.Control(offset))
                .Should().OnlyContain(s => s.Port < ephemeralStart && s.Port > 10000, "a port in the ephemeral range may be held by any outgoing connection");
        }
    }

    [Theory]
    [InlineData("32768\t60999\n", 32768)]
    [InlineData("1024 65535", 1024)]
    [InlineData("", 32768)]
    public void Reads_the_start_of_the_kernel_range(string text, int start) => PortOffset.ParseRangeStart(text).Should().Be(start);

    [Fact]
    public void Refuses_a_range_that_leaves_no_room_below_it() =>
        FluentActions.Invoking(() => PortOffset.Next(1024, new Random(1))).Should().Throw<InvalidOperationException>().WithMessage("*ip_local_port_range*");
}

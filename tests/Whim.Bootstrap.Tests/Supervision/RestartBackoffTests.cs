using FluentAssertions;
using Whim.Bootstrap.Supervision;
using Xunit;

namespace Whim.Bootstrap.Tests.Supervision;

public sealed class RestartBackoffTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(7, 6400)]
    [InlineData(8, 10000)]
    [InlineData(1000, 10000)]
    public void Delay_starts_at_100ms_and_doubles_up_to_10s(int crashes, int expectedMs) =>
        RestartBackoff.Delay(crashes).Should().Be(TimeSpan.FromMilliseconds(expectedMs));

    [Fact]
    public void A_long_run_resets_the_crash_streak_and_a_quick_crash_extends_it()
    {
        RestartBackoff.Next(5, TimeSpan.FromSeconds(31)).Should().Be(1);
        RestartBackoff.Next(5, TimeSpan.FromSeconds(2)).Should().Be(6);
        RestartBackoff.Next(0, TimeSpan.Zero).Should().Be(1);
    }
}

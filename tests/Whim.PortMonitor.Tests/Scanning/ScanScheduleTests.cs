using FluentAssertions;
using Whim.PortMonitor.Scanning;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

public sealed class ScanScheduleTests
{
    private const long Frequency = 1_000_000;
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Wakes_one_interval_after_the_last_due_time_less_the_time_the_scan_took()
    {
        var next = ScanSchedule.Next(due: 1_000_000, now: 1_002_000, s_interval, Frequency, out var wait);

        next.Should().Be(1_050_000);
        wait.Should().Be(TimeSpan.FromMilliseconds(48));
    }

    [Fact]
    public void Skips_the_ticks_a_slow_scan_overran_and_stays_on_the_grid()
    {
        var next = ScanSchedule.Next(due: 1_000_000, now: 1_120_000, s_interval, Frequency, out var wait);

        next.Should().Be(1_150_000, "the ticks at 1.05 s and 1.10 s are gone; no burst of catch-up scans");
        wait.Should().Be(TimeSpan.FromMilliseconds(30));
    }

    [Fact]
    public void Scans_at_once_when_the_next_tick_is_now()
    {
        ScanSchedule.Next(due: 1_000_000, now: 1_050_000, s_interval, Frequency, out var wait).Should().Be(1_050_000);
        wait.Should().Be(TimeSpan.Zero);
    }
}

namespace Whim.Bootstrap.Supervision;

/// <summary>
/// The delay before restarting a crashed service: 100 ms, doubling per consecutive crash up to 10 s, so a one-off
/// crash is repaired within a second while a crash loop does not spin. A run longer than 30 s resets the count.
/// </summary>
internal static class RestartBackoff
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);

    /// <summary>The delay before restart number <paramref name="consecutiveCrashes"/> (1 for the first crash).</summary>
    public static TimeSpan Delay(int consecutiveCrashes)
    {
        if (consecutiveCrashes <= 1)
        {
            return First;
        }

        var exponent = Math.Min(consecutiveCrashes - 1, 16);
        var delay = First * Math.Pow(2, exponent);
        return delay > Max ? Max : delay;
    }

    /// <summary>The consecutive-crash count after a crash of a process that ran for <paramref name="uptime"/>.</summary>
    public static int Next(int consecutiveCrashes, TimeSpan uptime) => uptime >= StableAfter ? 1 : consecutiveCrashes + 1;
}

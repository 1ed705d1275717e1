using System.Diagnostics;

namespace Whim.Testing;

/// <summary>
/// Waits for a condition with a deadline. This is how tests wait for another process or thread: the condition is
/// checked again and again until it holds or the deadline passes, never a fixed sleep that hopes it is long enough.
/// </summary>
public static class Eventually
{
    /// <summary>The default deadline, generous for a loaded two-core CI machine.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(10);

    /// <summary>Waits until <paramref name="condition"/> returns true; throws naming <paramref name="what"/> when the deadline passes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        Exception? last = null;
        while (deadline.Elapsed < limit)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                last = e;
            }

            await Task.Delay(s_interval);
        }

        throw new TimeoutException($"waited {limit.TotalSeconds:0.#} s for {what}" + (last is null ? string.Empty : $"; last error: {last.Message}"), last);
    }

    /// <summary>Waits until <paramref name="condition"/> returns true.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Waits until <paramref name="probe"/> yields a value that is not null and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        T? value = null;
        await UntilAsync(async () => (value = await probe()) is not null, what, timeout);
        return value!;
    }
}

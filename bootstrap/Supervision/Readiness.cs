using System.Diagnostics;

namespace Whim.Bootstrap.Supervision;

/// <summary>Waits for a service's health endpoint, polling on a short period until a deadline.</summary>
internal static class Readiness
{
    private static readonly TimeSpan s_period = TimeSpan.FromMilliseconds(20);

    /// <summary>True once <c>GET {url}{path}</c> answers 2xx; false when the process exits or the deadline passes.</summary>
    public static async Task<bool> WaitAsync(HttpClient http, ChildProcess process, string path, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(s_period);
        while (clock.Elapsed < deadline && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(process.Service.Url, path), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The request timed out (a loaded machine, a service still warming up): poll again.
            }

            await timer.WaitForNextTickAsync(cancellationToken);
        }

        return false;
    }
}

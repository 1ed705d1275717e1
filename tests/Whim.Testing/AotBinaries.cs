namespace Whim.Testing;

/// <summary>The runtime services' Native AOT binaries, published by <c>bench/aot-binaries.sh</c> into <c>artifacts/aot/&lt;name&gt;/</c>.</summary>
public static class AotBinaries
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);

    /// <summary>
    /// Publishes the four runtime services (a one-off of a few minutes; reused while their sources are unchanged) and
    /// returns <c>artifacts/aot</c>. Throws with the script's output when publishing fails.
    /// </summary>
    public static async Task<string> PublishAsync(TimeSpan? timeout = null)
    {
        await s_gate.WaitAsync();
        try
        {
            await using var script = RunningProcess.Start(new ProcessSpec("bash", [Path.Join(RepoLayout.Root, "bench", "aot-binaries.sh")]));
            var code = await script.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(15));
            return code == 0 && script.Stdout.LastOrDefault(l => l.Length > 0) is { } folder && Directory.Exists(folder)
                ? folder
                : throw new InvalidOperationException($"bench/aot-binaries.sh failed ({code}):\n{script.Output}");
        }
        finally
        {
            s_gate.Release();
        }
    }
}

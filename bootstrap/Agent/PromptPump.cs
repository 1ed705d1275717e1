namespace Whim.Bootstrap.Agent;

/// <summary>Where prompts go: the running agent.</summary>
internal interface IAgentInput
{
    /// <summary>Completes once <paramref name="prompt"/> was written to the agent.</summary>
    Task SendAsync(string prompt, CancellationToken cancellationToken);
}

/// <summary>
/// Moves prompts from the control API's queue to the agent exactly once: each pending prompt is written to the agent,
/// recorded in the <see cref="DeliveryLedger"/>, and only then acknowledged. A prompt the ledger already holds (its
/// acknowledgement was lost, or bootstrap restarted in between) is acknowledged without being written again.
/// </summary>
internal sealed class PromptPump(IPromptQueue queue, IAgentInput agent, DeliveryLedger ledger, TextWriter output)
{
    /// <summary>One pass over the pending prompts, in order; returns how many were written to the agent.</summary>
    public async Task<int> PumpOnceAsync(CancellationToken cancellationToken)
    {
        var written = 0;
        foreach (var prompt in await queue.PendingAsync(cancellationToken))
        {
            if (!ledger.Contains(prompt.Id))
            {
                await agent.SendAsync(prompt.Body, cancellationToken);
                ledger.Add(prompt.Id);
                written++;
                await output.WriteLineAsync($"  → prompt {prompt.Id} delivered to the agent");
            }

            await queue.AcknowledgeAsync(prompt.Id, cancellationToken);
        }

        return written;
    }

    /// <summary>Pumps every <paramref name="interval"/> until cancelled; an unreachable control API is reported once per outage.</summary>
    public async Task RunAsync(TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        var failing = false;
        do
        {
            try
            {
                await PumpOnceAsync(cancellationToken);
                failing = false;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException or System.ComponentModel.Win32Exception or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    await output.WriteLineAsync("  ! prompt queue: " + e.Message + " (retrying)");
                }

                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
}

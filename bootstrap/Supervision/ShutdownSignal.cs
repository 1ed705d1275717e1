using System.Runtime.InteropServices;

namespace Whim.Bootstrap.Supervision;

/// <summary>
/// Turns SIGINT and SIGTERM into a cancellation, so bootstrap stops its children in order and exits by itself instead
/// of being torn down with them still running.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public ShutdownSignal(CancellationToken linked)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled when a stop signal arrives.</summary>
    public CancellationToken Token => _cts.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cts.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _cts.Cancel();
    }
}

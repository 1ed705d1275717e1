namespace Whim.PortMonitor.Table;

/// <summary>An immutable snapshot of the port table with a version that grows on every change.</summary>
internal sealed record PortTableSnapshot(long Version, DateTimeOffset UpdatedAt, IReadOnlyList<PortEntry> Ports)
{
    public static readonly PortTableSnapshot Empty = new(0, DateTimeOffset.UnixEpoch, []);

    /// <summary>The entries announced to the router: only ports that answer.</summary>
    public IReadOnlyList<PortEntry> ReadyPorts()
    {
        var ready = new List<PortEntry>(Ports.Count);
        foreach (var p in Ports)
        {
            if (p.Ready)
            {
                ready.Add(p);
            }
        }

        return ready;
    }
}

/// <summary>
/// The current port table, shared by the scanner (writer), the publisher, the HTTP endpoint and the registrar
/// (readers). Readers take <see cref="Current"/> (a lock-free snapshot) and wait on <see cref="WaitForChangeAsync"/>.
/// </summary>
internal sealed class PortTable
{
    private readonly Lock _gate = new();
    private PortTableSnapshot _current = PortTableSnapshot.Empty;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The latest snapshot.</summary>
    public PortTableSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Replaces the table with <paramref name="ports"/> (ordered by first seen) and wakes every waiter.</summary>
    public PortTableSnapshot Replace(IReadOnlyList<PortEntry> ports, DateTimeOffset now)
    {
        TaskCompletionSource wake;
        PortTableSnapshot next;
        lock (_gate)
        {
            next = new PortTableSnapshot(_current.Version + 1, now, ports);
            Volatile.Write(ref _current, next);
            wake = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
        return next;
    }

    /// <summary>Completes when the version is past <paramref name="seenVersion"/>.</summary>
    public Task WaitForChangeAsync(long seenVersion, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _current.Version > seenVersion ? Task.CompletedTask : _changed.Task.WaitAsync(cancellationToken);
        }
    }
}

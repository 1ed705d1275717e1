using System.Diagnostics.Metrics;

namespace Whim.BackupAgent.Status;

/// <summary>The agent's instruments, exported on <c>/metrics</c> by the kernel.</summary>
internal sealed class BackupMetrics : IDisposable
{
    private readonly Meter _meter = new("Whim.BackupAgent");
    private readonly Counter<long> _uploadedBytes;
    private readonly Counter<long> _uploads;
    private readonly Counter<long> _failures;

    public BackupMetrics(BackupStatusBoard board)
    {
        _uploadedBytes = _meter.CreateCounter<long>("whim.backup.uploaded_bytes", "By", "Bytes acknowledged by the backend");
        _uploads = _meter.CreateCounter<long>("whim.backup.uploads", description: "Upload requests acknowledged");
        _failures = _meter.CreateCounter<long>("whim.backup.upload_failures", description: "Upload requests that failed and will be retried");
        _meter.CreateObservableGauge("whim.backup.lag_bytes", board.TotalLag, "By", "Bytes written locally and not yet acknowledged");
    }

    public void Uploaded(long bytes)
    {
        _uploads.Add(1);
        _uploadedBytes.Add(bytes);
    }

    public void Failed() => _failures.Add(1);

    public void Dispose() => _meter.Dispose();
}

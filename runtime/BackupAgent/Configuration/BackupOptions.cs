using Microsoft.Extensions.Options;
using Whim.Runtime.Configuration;

namespace Whim.BackupAgent.Configuration;

/// <summary>
/// The backup agent's settings (<c>WHIM_BACKUP__*</c>). <see cref="TaskId"/>, <see cref="HomeDirectory"/> and
/// <see cref="StateDirectory"/> are filled after binding from <c>WHIM_TASK_ID</c> and <see cref="WhimPaths"/>.
/// </summary>
internal sealed class BackupOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "BACKUP";

    /// <summary>The task whose history this container writes (<c>WHIM_TASK_ID</c>).</summary>
    public string? TaskId { get; set; }

    /// <summary>The agent user's home (<c>WHIM_HOME_DIR</c>, default <c>/home/node</c> under the root).</summary>
    public string HomeDirectory { get; set; } = string.Empty;

    /// <summary>Where acknowledged offsets are checkpointed (<c>WHIM_BACKUP__STATEDIR</c>, default <c>/whim/run/backup</c>).</summary>
    public string StateDirectory { get; set; } = string.Empty;

    /// <summary>Extra files to back up: globs relative to the home, e.g. <c>.local/share/app/**/*.log</c>.</summary>
    public List<string> ExtraGlobs { get; set; } = [];

    /// <summary>Largest body of one upload request (bounded memory however large a file grows).</summary>
    public int ChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>Periodic trigger: a full scan this often even when no change was noticed.</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>File-change trigger: a burst of changes starts one pass this long after the first change.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>First wait after a failed pass; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between passes while the backend fails.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On SIGTERM, how long a last pass may take before the process exits.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long <c>POST /backup</c> waits when the request names no timeout.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>True when uploads have somewhere to go.</summary>
    public bool HasTask => !string.IsNullOrWhiteSpace(TaskId);
}

/// <summary>Checks <see cref="BackupOptions"/>, naming each wrong setting.</summary>
internal sealed class BackupOptionsValidator : IValidateOptions<BackupOptions>
{
    public ValidateOptionsResult Validate(string? name, BackupOptions options)
    {
        var errors = new OptionsErrors();
        errors.When(options.ChunkBytes is < 1024 or > 64 * 1024 * 1024, "WHIM_BACKUP__CHUNKBYTES", "must be between 1024 and 67108864");
        errors.When(options.ScanInterval < TimeSpan.FromMilliseconds(100), "WHIM_BACKUP__SCANINTERVAL", "must be at least 100 ms");
        errors.When(options.Debounce < TimeSpan.Zero, "WHIM_BACKUP__DEBOUNCE", "must not be negative");
        errors.When(options.RetryMinDelay <= TimeSpan.Zero, "WHIM_BACKUP__RETRYMINDELAY", "must be positive");
        errors.When(options.RetryMaxDelay < options.RetryMinDelay, "WHIM_BACKUP__RETRYMAXDELAY", "must be at least WHIM_BACKUP__RETRYMINDELAY");
        errors.When(options.ShutdownGrace < TimeSpan.Zero, "WHIM_BACKUP__SHUTDOWNGRACE", "must not be negative");
        errors.When(options.FlushTimeout <= TimeSpan.Zero, "WHIM_BACKUP__FLUSHTIMEOUT", "must be positive");
        for (var i = 0; i < options.ExtraGlobs.Count; i++)
        {
            var glob = options.ExtraGlobs[i];
            errors.When(
                string.IsNullOrWhiteSpace(glob) || glob.StartsWith('/') || glob.Split('/').Contains(".."),
                $"WHIM_BACKUP__EXTRAGLOBS__{i}",
                "must be a glob relative to the home without '..'");
        }

        return errors.ToResult();
    }
}

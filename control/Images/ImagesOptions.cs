using Microsoft.Extensions.Options;
using Whim.Control.Images.Billing;
using Whim.Runtime.Configuration;

namespace Whim.Control.Images;

/// <summary>Settings of images and reserves (configuration section <c>Images</c>, env <c>WHIM_IMAGES__*</c>).</summary>
public sealed class ImagesOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Images";

    /// <summary>
    /// Tasks launch on machines of this feature: a warm reserve of the task's image is claimed (resume + inject the
    /// task's config) or a machine is cold-created. Off (default): the host's own task machine provider runs tasks.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>The podman executable.</summary>
    public string Podman { get; set; } = "podman";

    /// <summary>
    /// A podman API socket (<c>podman system service --time=0 unix://PATH</c>) used for every machine operation, so
    /// the claim (unpause + inspect) skips the CLI's start-up; empty to use the CLI for everything.
    /// </summary>
    public string PodmanSocket { get; set; } = string.Empty;

    /// <summary>Start and own <c>podman system service</c> on <see cref="PodmanSocket"/> (killed at shutdown); off: the socket is external.</summary>
    public bool PodmanService { get; set; }

    /// <summary>The buildah executable.</summary>
    public string Buildah { get; set; } = "buildah";

    /// <summary>Container storage driver for podman and buildah (<c>vfs</c> works without kernel overlay support).</summary>
    public string StorageDriver { get; set; } = "vfs";

    /// <summary>OCI runtime podman uses.</summary>
    public string OciRuntime { get; set; } = "runc";

    /// <summary>A containers.conf for podman/buildah (exported as CONTAINERS_CONF); empty for the system default.</summary>
    public string ContainersConf { get; set; } = string.Empty;

    /// <summary>The runner base image <c>RUNNER_COMPAT_REF</c> resolves to; also the default runtime a workspace falls back to.</summary>
    public string RunnerImage { get; set; } = "localhost/whim-runner:latest";

    /// <summary>The command machines run (empty: the image's default command).</summary>
    public IList<string> MachineCommand { get; } = [];

    /// <summary>The command that proves a built image runs the Whim runtime (exit 0 = compatible).</summary>
    public IList<string> CompatibilityCommand { get; } = [];

    /// <summary>The network machines join (podman <c>--network</c>); empty for podman's default.</summary>
    public string MachineNetwork { get; set; } = string.Empty;

    /// <summary>Host folder holding each machine's injected task config (bind-mounted at /whim/task).</summary>
    public string MachineDirectory { get; set; } = Path.Join(Path.GetTempPath(), "whim-machines");

    /// <summary>Folder for build work (secret files live here only for the duration of a build, mode 0600).</summary>
    public string BuildDirectory { get; set; } = Path.Join(Path.GetTempPath(), "whim-builds");

    /// <summary>
    /// Folder holding repository checkouts the control API may build repo-managed images from (a build request's
    /// <c>checkoutPath</c> must lie inside it); empty: repo-managed builds through the API are refused.
    /// </summary>
    public string CheckoutRoot { get; set; } = string.Empty;

    /// <summary>How often the reserve reconciler runs over every pool.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The plan assumed for a workspace the billing meter has not been told about.</summary>
    public Plan DefaultPlan { get; set; } = Plan.Free;

    /// <summary>The compatibility command when none is configured.</summary>
    public IReadOnlyList<string> EffectiveCompatibilityCommand =>
        CompatibilityCommand.Count > 0 ? [.. CompatibilityCommand] : ["sh", "-c", "id node >/dev/null && test -x /opt/whim/bin/Whim.Bootstrap"];
}

/// <summary>Checks <see cref="ImagesOptions"/> at start; every error names its setting.</summary>
internal sealed class ImagesOptionsValidator : IValidateOptions<ImagesOptions>
{
    public ValidateOptionsResult Validate(string? name, ImagesOptions options)
    {
        var errors = new OptionsErrors();
        errors.When(string.IsNullOrWhiteSpace(options.Podman), "Images:Podman", "is required");
        errors.When(string.IsNullOrWhiteSpace(options.Buildah), "Images:Buildah", "is required");
        errors.When(string.IsNullOrWhiteSpace(options.StorageDriver), "Images:StorageDriver", "is required");
        errors.When(string.IsNullOrWhiteSpace(options.RunnerImage), "Images:RunnerImage", "is required");
        errors.When(string.IsNullOrWhiteSpace(options.MachineDirectory), "Images:MachineDirectory", "is required");
        errors.When(string.IsNullOrWhiteSpace(options.BuildDirectory), "Images:BuildDirectory", "is required");
        errors.When(options.PodmanService && string.IsNullOrWhiteSpace(options.PodmanSocket), "Images:PodmanSocket", "is required when Images:PodmanService is on");
        errors.When(options.ReconcileInterval <= TimeSpan.Zero, "Images:ReconcileInterval", "must be positive");
        errors.When(options.ContainersConf.Length > 0 && !File.Exists(options.ContainersConf), "Images:ContainersConf", $"file '{options.ContainersConf}' does not exist");
        return errors.ToResult();
    }
}

using Microsoft.Extensions.Options;

namespace Whim.Control.Images.Machines;

/// <summary>
/// Machines as podman containers: create/start/pause/unpause/rm/inspect through the podman REST API socket when
/// <see cref="ImagesOptions.PodmanSocket"/> is set (no CLI start-up per call), else through the podman CLI, with the
/// configured storage driver and OCI runtime. Each container bind-mounts its own host folder at <c>/whim/task</c>, so injecting
/// a task's config is a local file write (no exec round trip on the claim path). The machine id is the container name.
/// </summary>
public sealed class PodmanMachineProvider(IOptions<ImagesOptions> options) : IMachineProvider, IDisposable
{
    private readonly PodmanApiClient? _api = options.Value.PodmanSocket.Length > 0 ? new PodmanApiClient(options.Value.PodmanSocket) : null;

    /// <summary>Where the injected config appears inside a machine.</summary>
    public const string TaskConfigPath = "/whim/task/config.json";

    private ImagesOptions Options => options.Value;

    public async Task<string> CreateAsync(MachineSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var folder = MachineFolder(spec.Name);
        Directory.CreateDirectory(folder);
        if (_api is not null)
        {
            await _api.CreateAsync(ApiSpec(spec, folder), cancellationToken);
            return spec.Name;
        }

        var arguments = new List<string> { "create", "--name", spec.Name, "--volume", folder + ":/whim/task" };
        foreach (var (key, value) in spec.Labels)
        {
            arguments.Add("--label");
            arguments.Add(key + "=" + value);
        }

        if (Options.MachineNetwork.Length > 0)
        {
            arguments.Add("--network");
            arguments.Add(Options.MachineNetwork);
        }

        arguments.Add(spec.Image);
        arguments.AddRange(spec.Command);
        await RunAsync(arguments, "create", cancellationToken);
        return spec.Name;
    }

    public Task StartAsync(string machineId, CancellationToken cancellationToken) =>
        _api is not null ? _api.PostAsync(machineId, "start", cancellationToken) : RunAsync(["start", machineId], "start", cancellationToken);

    public Task PauseAsync(string machineId, CancellationToken cancellationToken) =>
        _api is not null ? _api.PostAsync(machineId, "pause", cancellationToken) : RunAsync(["pause", machineId], "pause", cancellationToken);

    /// <summary>The claim's hot path.</summary>
    public Task UnpauseAsync(string machineId, CancellationToken cancellationToken) =>
        _api is not null ? _api.PostAsync(machineId, "unpause", cancellationToken) : RunAsync(["unpause", machineId], "unpause", cancellationToken);

    public async Task RemoveAsync(string machineId, CancellationToken cancellationToken)
    {
        if (_api is not null)
        {
            await _api.RemoveAsync(machineId, cancellationToken);
        }
        else
        {
            await RunAsync(["rm", "--force", "--ignore", "--time", "0", machineId], "rm", cancellationToken);
        }

        try
        {
            Directory.Delete(MachineFolder(machineId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public async Task<MachineInfo> InspectAsync(string machineId, CancellationToken cancellationToken)
    {
        if (_api is not null)
        {
            var inspected = await _api.InspectAsync(machineId, cancellationToken);
            return inspected is null
                ? new MachineInfo(machineId, MachineState.Missing, string.Empty)
                : new MachineInfo(machineId, StateOf(inspected.State?.Status ?? string.Empty), inspected.ImageName ?? string.Empty);
        }

        var result = await ToolProcess.RunAsync(Options.Podman, [.. GlobalArguments(), "container", "inspect", "--format", "{{.State.Status}}|{{.ImageName}}", machineId], Environment(), null, cancellationToken);
        if (!result.Succeeded)
        {
            if (result.Stderr.Contains("no such", StringComparison.OrdinalIgnoreCase))
            {
                return new MachineInfo(machineId, MachineState.Missing, string.Empty);
            }

            throw new MachineProviderException($"podman inspect {machineId} failed: {result.Stderr.Trim()}");
        }

        var parts = result.Stdout.Trim().Split('|', 2);
        return new MachineInfo(machineId, StateOf(parts[0]), parts.Length > 1 ? parts[1] : string.Empty);
    }

    /// <summary>Podman's container status in provider-neutral terms.</summary>
    internal static MachineState StateOf(string status) => status switch
    {
        "created" or "configured" or "initialized" => MachineState.Created,
        "running" => MachineState.Running,
        "paused" => MachineState.Paused,
        _ => MachineState.Stopped,
    };

    /// <summary>The libpod spec equal to the CLI's <c>create</c>: name, labels, the task folder bind mount, network, command.</summary>
    internal PodmanCreateSpec ApiSpec(MachineSpec spec, string folder)
    {
        var network = Options.MachineNetwork;
        var (ns, networks) = network switch
        {
            "" => ((PodmanNamespace?)null, (IReadOnlyDictionary<string, PodmanNetworkOptions>?)null),
            "none" or "host" or "private" => (new PodmanNamespace(network), null),
            _ => (new PodmanNamespace("bridge"), new Dictionary<string, PodmanNetworkOptions>(StringComparer.Ordinal) { [network] = new() }),
        };
        return new PodmanCreateSpec(
            spec.Name,
            spec.Image,
            spec.Command.Count > 0 ? spec.Command : null,
            spec.Labels,
            [new PodmanMount("/whim/task", folder, "bind", ["rbind"])],
            ns,
            networks);
    }

    public async Task InjectTaskConfigAsync(string machineId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken)
    {
        var folder = MachineFolder(machineId);
        if (!Directory.Exists(folder))
        {
            throw new MachineProviderException($"machine {machineId} has no task folder");
        }

        // Temp + rename so the machine never reads a half-written config; durability is not needed (it is a channel).
        var temp = Path.Join(folder, ".config.json.tmp");
        await File.WriteAllBytesAsync(temp, config, cancellationToken);
        File.Move(temp, Path.Join(folder, "config.json"), overwrite: true);
    }

    public void Dispose() => _api?.Dispose();

    /// <summary>Arguments every podman call carries: storage driver, OCI runtime.</summary>
    internal IEnumerable<string> GlobalArguments() =>
        ["--storage-driver", Options.StorageDriver, "--runtime", Options.OciRuntime];

    internal IReadOnlyDictionary<string, string>? Environment() =>
        Options.ContainersConf.Length > 0 ? new Dictionary<string, string>(StringComparer.Ordinal) { ["CONTAINERS_CONF"] = Options.ContainersConf } : null;

    private string MachineFolder(string machineId)
    {
        if (machineId.AsSpan().IndexOfAny('/', '\\') >= 0 || machineId.Contains("..", StringComparison.Ordinal))
        {
            throw new MachineProviderException($"invalid machine id '{machineId}'");
        }

        return Path.Join(Options.MachineDirectory, machineId);
    }

    private async Task RunAsync(IReadOnlyList<string> arguments, string verb, CancellationToken cancellationToken)
    {
        var result = await ToolProcess.RunAsync(Options.Podman, [.. GlobalArguments(), .. arguments], Environment(), null, cancellationToken);
        if (!result.Succeeded)
        {
            throw new MachineProviderException($"podman {verb} failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }
    }
}

using System.CommandLine;
using Whim.Bootstrap.Supervision;
using Whim.Bootstrap.TaskSpec;

namespace Whim.Bootstrap.Start;

/// <summary><c>start</c>: prepares the task container (steps 1-5), then starts and supervises the services and the agent.</summary>
internal sealed class StartCommand : Command
{
    private readonly Option<string?> _spec = new("--spec") { Description = "The task spec JSON file (default: $WHIM_TASK_SPEC)." };
    private readonly Option<string?> _root = new("--root") { Description = "WHIM_ROOT: every platform path (/app, /home/node, /whim) hangs below it (default: $WHIM_ROOT or /)." };
    private readonly Option<string?> _binDir = new("--bin-dir") { Description = "Folder with the service binaries (default: bootstrap's own folder)." };
    private readonly Option<string?> _repoRoot = new("--repo-root") { Description = "A Whim checkout whose build outputs are used when --bin-dir lacks a binary." };
    private readonly Option<bool> _noAgent = new("--no-agent") { Description = "Do everything but start the agent." };
    private readonly Option<string?> _services = new("--services") { Description = "Comma-separated services to start (default: all; 'none' for none)." };
    private readonly Option<int> _portOffset = new("--port-offset") { Description = "Added to every service port (tests, local runs).", DefaultValueFactory = _ => 0 };

    public StartCommand()
        : base("start", "Set up the task (checkout, credentials, configuration, init script, shell) and supervise the runtime services and the agent until SIGTERM.")
    {
        Options.Add(_spec);
        Options.Add(_root);
        Options.Add(_binDir);
        Options.Add(_repoRoot);
        Options.Add(_noAgent);
        Options.Add(_services);
        Options.Add(_portOffset);
        SetAction(async (parse, cancellationToken) =>
        {
            using var signal = new ShutdownSignal(cancellationToken);
            var specPath = parse.GetValue(_spec) ?? Environment.GetEnvironmentVariable("WHIM_TASK_SPEC");
            if (string.IsNullOrWhiteSpace(specPath))
            {
                await Console.Error.WriteLineAsync("whim start: --spec (or WHIM_TASK_SPEC) is required");
                return ExitCodes.BadConfiguration;
            }

            var settings = new StartSettings(
                Path.GetFullPath(parse.GetValue(_root) ?? Environment.GetEnvironmentVariable("WHIM_ROOT") ?? "/"),
                Path.GetFullPath(parse.GetValue(_binDir) ?? AppContext.BaseDirectory),
                parse.GetValue(_repoRoot) is { } repo ? Path.GetFullPath(repo) : null,
                !parse.GetValue(_noAgent),
                parse.GetValue(_services),
                parse.GetValue(_portOffset));
            var runner = new StartRunner(settings, new FileTaskSpecSource(Path.GetFullPath(specPath)), Console.Out, TimeProvider.System);
            return await runner.RunAsync(signal.Token);
        });
    }
}

/// <summary>What <c>start</c> was asked to do.</summary>
internal sealed record StartSettings(string Root, string BinDirectory, string? RepoRoot, bool StartAgent, string? Services, int PortOffset)
{
    /// <summary>How often the control API's prompt queue is asked for new prompts.</summary>
    public TimeSpan PromptPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The services to run, in the platform's order.</summary>
    public IReadOnlyList<ServiceDefinition> SelectedServices()
    {
        var all = ServiceDefinition.Runtime(PortOffset);
        if (string.IsNullOrWhiteSpace(Services))
        {
            return all;
        }

        if (Services == "none")
        {
            return [];
        }

        var names = Services.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = names.Where(n => all.All(s => s.Name != n)).ToList();
        return unknown.Count > 0
            ? throw new TaskSpecException($"--services: unknown {string.Join(", ", unknown)} (known: {string.Join(", ", all.Select(s => s.Name))}, none)")
            : [.. all.Where(s => names.Contains(s.Name))];
    }
}

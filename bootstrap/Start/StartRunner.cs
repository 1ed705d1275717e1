using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Whim.Bootstrap.Agent;
using Whim.Bootstrap.Configuration;
using Whim.Bootstrap.Git;
using Whim.Bootstrap.Init;
using Whim.Bootstrap.Injection;
using Whim.Bootstrap.Supervision;
using Whim.Bootstrap.TaskSpec;
using Whim.Runtime.Configuration;
using Whim.Runtime.Files;

namespace Whim.Bootstrap.Start;

/// <summary>
/// Runs <c>start</c>: each step printed with its duration and safe to re-run (a restarted container repeats them),
/// then the services in order under supervision, then the agent; SIGTERM stops everything in reverse order.
/// </summary>
internal sealed class StartRunner(StartSettings settings, ITaskSpecSource source, TextWriter output, TimeProvider time)
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly WhimPaths _paths = new(new ConfigurationBuilder()
        .AddEnvironmentVariables(WhimConfiguration.EnvironmentPrefix)
        .AddInMemoryCollection([new(WhimPaths.RootKey, settings.Root)])
        .Build());

    private string AppDirectory => _paths.Resolve("APP_DIR", "/app");

    private string EnvFilesDirectory => _paths.Resolve("ENV_FILES_DIR", "/whim/env-files");

    private string SecretsDirectory => _paths.Resolve("SECRETS_DIR", "/whim/secrets");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var status = new StatusFile(Path.Join(_paths.RunDirectory, "bootstrap-status.json"), time);
        TaskSpecDocument spec;
        IReadOnlyList<ServiceDefinition> services;
        try
        {
            spec = await source.LoadAsync(cancellationToken);
            services = settings.SelectedServices();
        }
        catch (TaskSpecException e)
        {
            await output.WriteLineAsync("whim start: " + e.Message);
            status.Update(s => s with { Phase = "failed", ConfigErrors = [e.Message] });
            return ExitCodes.BadConfiguration;
        }

        await output.WriteLineAsync($"whim start: task {spec.DisplayId} ({spec.TaskId}), root {settings.Root}");
        status.Update(s => s with { Phase = "steps", Steps = [] });
        var errors = new List<ConfigError>();
        var config = ConfigLayerMerger.Merge(
            [
                ConfigLayerParser.Parse(LayerNames.Workspace, spec.Workspace, errors),
                ConfigLayerParser.Parse(LayerNames.User, spec.User, errors),
                ConfigLayerParser.Parse(LayerNames.WorkspaceUser, spec.WorkspaceUser, errors),
            ],
            spec.SourceOrder,
            errors);
        foreach (var error in errors)
        {
            await output.WriteLineAsync("  ! configuration: " + error);
        }

        status.Update(s => s with { ConfigErrors = [.. errors.Select(e => e.ToString())] });
        var home = _paths.HomeDirectory;
        var agentEnvironment = AgentEnvironment(spec, config, home);
        var locations = new AgentLocations(AppDirectory, home);
        var tokenFile = spec.GitTokenFile ?? Path.Join(SecretsDirectory, "git-token");

        try
        {
            await StepAsync(status, "git-credentials", () => Task.FromResult(WriteGitToken(spec, tokenFile)));
            await StepAsync(status, "checkout", () => new RepositoryCheckout(AppDirectory, CredentialHelper(tokenFile))
                .RunAsync(spec.RepoUrl!, spec.SourceBranch!, spec.DisplayId!, cancellationToken));
            await StepAsync(status, "configuration", () =>
            {
                new ProviderConfigWriter(locations).Write(spec.Provider!, config, BuiltInServer(spec));
                return Task.FromResult($"{spec.Provider}: {config.Skills.Count} skills, {config.McpServers.Count + 1} MCP servers, {config.Plugins.Count} plugins, {errors.Count} problems");
            });
            var init = await StepAsync(status, "init-script", async () =>
            {
                var outcome = await RunInitAsync(spec, config, agentEnvironment, cancellationToken);
                return outcome.Ok || spec.InitFailure != "stop" ? outcome.Detail : throw new StepFailedException(outcome.Detail);
            });
            await StepAsync(status, "shell-environment", () => Task.FromResult(WriteShellEnvironment(config, home)));
        }
        catch (StepFailedException)
        {
            status.Update(s => s with { Phase = "failed" });
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync("whim start: interrupted during the steps");
            status.Update(s => s with { Phase = "stopped" });
            return ExitCodes.Interrupted;
        }

        await using var supervisor = new ServiceSupervisor(ResolveServices(services), ServiceEnvironment(spec), _paths.LogDirectory, status, output, time);
        Process? agent = null;
        try
        {
            if (!await supervisor.StartAllAsync(cancellationToken))
            {
                return ExitCodes.ServiceFailedToStart;
            }

            if (settings.StartAgent)
            {
                agent = StartAgent(spec, config, home, agentEnvironment);
                status.Update(s => s with { AgentPid = agent.Id });
            }

            await output.WriteLineAsync("whim start: everything is running; SIGTERM stops it.");
            await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (FileNotFoundException e)
        {
            await output.WriteLineAsync("whim start: " + e.Message);
            return ExitCodes.BadConfiguration;
        }
        finally
        {
            if (agent is not null)
            {
                await StopAgentAsync(agent);
            }

            await supervisor.StopAllAsync();
        }
    }

    private async Task<string> StepAsync(StatusFile status, string name, Func<Task<string>> step)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var detail = await step();
            await output.WriteLineAsync($"  ✓ {name,-18} {clock.ElapsedMilliseconds,6} ms  {detail}");
            status.Update(s => s with { Steps = [.. s.Steps, new StepStatus(name, true, clock.ElapsedMilliseconds, detail)] });
            return detail;
        }
        catch (Exception e) when (e is GitException or IOException or UnauthorizedAccessException or StepFailedException)
        {
            await output.WriteLineAsync($"  ✗ {name,-18} {clock.ElapsedMilliseconds,6} ms  {e.Message}");
            status.Update(s => s with { Steps = [.. s.Steps, new StepStatus(name, false, clock.ElapsedMilliseconds, e.Message)] });
            throw e as StepFailedException ?? new StepFailedException(e.Message);
        }
    }

    private string WriteGitToken(TaskSpecDocument spec, string tokenFile)
    {
        if (spec.GitToken is not { Length: > 0 } token)
        {
            return spec.GitTokenFile is null ? "no token (public repository)" : "token read from " + tokenFile + " at use time";
        }

        Directory.CreateDirectory(SecretsDirectory);
        OwnerOnly.Directory(SecretsDirectory);
        // Created 0600 before any byte is written, then replaced atomically.
        using (File.Create(tokenFile + ".new", 1, FileOptions.None))
        {
        }

        OwnerOnly.File(tokenFile + ".new");
        File.WriteAllText(tokenFile + ".new", token);
        File.Move(tokenFile + ".new", tokenFile, overwrite: true);
        return "token in " + tokenFile + " (0600)";
    }

    // `!` makes git run the helper through the shell; every part is single-quoted.
    private static string CredentialHelper(string tokenFile)
    {
        var parts = SelfCommand().Append("git-credential").Append("--token-file").Append(tokenFile);
        return "!" + string.Join(' ', parts.Select(ShellEnvironment.Quote));
    }

    /// <summary>How to run this bootstrap again: the AOT binary itself, or <c>dotnet Whim.Bootstrap.dll</c> from a build.</summary>
    internal static IEnumerable<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "Whim.Bootstrap";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, Path.Join(AppContext.BaseDirectory, "Whim.Bootstrap.dll")]
            : [process];
    }

    private BuiltInServer BuiltInServer(TaskSpecDocument spec)
    {
        var mcp = new ServiceDefinition("whim-mcp", "Whim.WhimMcp", "runtime/WhimMcp", 0);
        ServiceCommand command;
        try
        {
            command = ServiceCommand.Resolve(mcp, settings.BinDirectory, settings.RepoRoot);
        }
        catch (FileNotFoundException)
        {
            command = new ServiceCommand(Path.Join(settings.BinDirectory, mcp.Assembly), []);
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["WHIM_API_URL"] = spec.ApiUrl ?? "",
            ["WHIM_INTERNAL_API_TOKEN"] = spec.InternalApiToken ?? "",
            ["WHIM_TASK_ID"] = spec.TaskId!,
        };
        return new BuiltInServer(command.FileName, command.Arguments, env);
    }

    private async Task<InitOutcome> RunInitAsync(TaskSpecDocument spec, EffectiveConfig config, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var script = _paths.Resolve("INIT_SCRIPT", "/whim/init.sh");
        if (config.InitScript.Length > 0)
        {
            AtomicFile.Write(script, s_utf8.GetBytes("#!/usr/bin/env bash\nset -e\n" + config.InitScript));
        }

        var runner = new InitScriptRunner(script, Path.Join(_paths.RunDirectory, "init.done"), Path.Join(_paths.LogDirectory, "init.log"), AppDirectory, output);
        return await runner.RunAsync(environment, TimeSpan.FromSeconds(spec.InitTimeoutSeconds ?? 600), cancellationToken);
    }

    private string WriteShellEnvironment(EffectiveConfig config, string home)
    {
        var envFile = Path.Join(EnvFilesDirectory, "whim.env");
        AtomicFile.Write(envFile, s_utf8.GetBytes(ShellEnvironment.EnvFile(config.Env)));
        var source = ShellEnvironment.SourceEnvFiles(EnvFilesDirectory);
        Directory.CreateDirectory(home);
        ReplaceBlock(Path.Join(home, ".bashrc"), source + config.Bashrc);
        // Login shells read ~/.bash_profile, or else ~/.profile, and Debian's ~/.bashrc returns early when not
        // interactive: the env files are sourced from the profile too so `bash -lc` sees them.
        var profile = File.Exists(Path.Join(home, ".bash_profile")) ? Path.Join(home, ".bash_profile") : Path.Join(home, ".profile");
        ReplaceBlock(profile, source);
        return $"{config.Env.Count} variables in {envFile}; ~/.bashrc and {Path.GetFileName(profile)} source it";
    }

    private static void ReplaceBlock(string path, string body)
    {
        var existing = File.Exists(path) ? File.ReadAllText(path) : "";
        var updated = ShellEnvironment.WithManagedBlock(existing, body);
        if (updated != existing)
        {
            AtomicFile.Write(path, s_utf8.GetBytes(updated));
        }
    }

    private Dictionary<string, string> AgentEnvironment(TaskSpecDocument spec, EffectiveConfig config, string home)
    {
        var environment = ServiceEnvironment(spec);
        environment["HOME"] = home;
        foreach (var (key, value) in config.Env)
        {
            environment[key] = value;
        }

        return environment;
    }

    private Dictionary<string, string> ServiceEnvironment(TaskSpecDocument spec)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["WHIM_ROOT"] = settings.Root,
            ["WHIM_TASK_ID"] = spec.TaskId!,
        };
        Add(environment, "WHIM_WORKSPACE_ID", spec.WorkspaceId);
        Add(environment, "WHIM_API_URL", spec.ApiUrl);
        Add(environment, "WHIM_INTERNAL_API_TOKEN", spec.InternalApiToken);
        return environment;

        static void Add(Dictionary<string, string> environment, string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                environment[key] = value;
            }
        }
    }

    private List<(ServiceDefinition, ServiceCommand)> ResolveServices(IReadOnlyList<ServiceDefinition> services) =>
        [.. services.Select(s => (s, ServiceCommand.Resolve(s, settings.BinDirectory, settings.RepoRoot)))];

    private Process StartAgent(TaskSpecDocument spec, EffectiveConfig config, string home, Dictionary<string, string> environment)
    {
        var command = AgentCommandLine.Build(spec.Provider!, spec.Prompt ?? "", config, Path.Join(home, ".mcp.json"), AppDirectory);
        var info = new ProcessStartInfo(command.FileName) { UseShellExecute = false, WorkingDirectory = AppDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var log = Path.Join(_paths.LogDirectory, "agent.out");
        Directory.CreateDirectory(_paths.LogDirectory);
        var sink = TextWriter.Synchronized(new StreamWriter(log, append: true) { AutoFlush = true });
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { sink.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { sink.WriteLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output.WriteLine($"  ✓ agent             {command.FileName} started (pid {process.Id.ToString(CultureInfo.InvariantCulture)}), output in {log}");
        return process;
    }

    private static async Task StopAgentAsync(Process agent)
    {
        if (!agent.HasExited)
        {
            agent.Kill(entireProcessTree: true);
            await agent.WaitForExitAsync();
        }

        agent.Dispose();
    }

    private sealed class StepFailedException(string message) : Exception(message);
}

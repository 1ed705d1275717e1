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
        var agentKey = AgentSecrets.PlaceholderKey(Environment.GetEnvironmentVariable(AgentSecrets.AgentKeyVariable));
        var agentEnvironment = AgentEnvironment(spec, config, home, agentKey);
        var locations = new AgentLocations(AppDirectory, home);
        var tokenFile = spec.GitTokenFile ?? Path.Join(SecretsDirectory, "git-token");

        try
        {
            await StepAsync(status, "git-credentials", () => Task.FromResult(WriteGitToken(spec, tokenFile)));
            await StepAsync(status, "api-token", () => Task.FromResult(WriteApiToken(spec)));
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

        var serviceEnvironment = ServiceEnvironment(spec, agentKey);
        await using var supervisor = new ServiceSupervisor(ResolveServices(services), s => ServiceEnvironment(serviceEnvironment, s), _paths.LogDirectory, status, output, time);
        IAgentSession? agent = null;
        using var queue = PromptQueue(spec);
        try
        {
            if (!await supervisor.StartAllAsync(cancellationToken))
            {
                return ExitCodes.ServiceFailedToStart;
            }

            PromptPump? pump = null;
            if (settings.StartAgent)
            {
                var ledger = new DeliveryLedger(Path.Join(_paths.RunDirectory, "delivered-prompts"));
                try
                {
                    agent = await StartAgentAsync(spec, config, home, agentEnvironment, ledger, cancellationToken);
                    status.Update(s => s with { AgentPid = agent.Pid });
                    pump = queue is null ? null : new PromptPump(queue, agent, ledger, output);
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    // The CLI is not installed or not executable: the services keep running for inspection.
                    await output.WriteLineAsync($"  ✗ agent             {spec.Provider} could not be started: {e.Message}");
                    status.Update(s => s with { Phase = "agent-failed" });
                }
            }

            await output.WriteLineAsync("whim start: everything is running; SIGTERM stops it.");
            if (pump is not null)
            {
                await pump.RunAsync(settings.PromptPollInterval, time, cancellationToken);
            }

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
                await agent.DisposeAsync();
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

        WriteSecretFile(tokenFile, token);
        return "token in " + tokenFile + " (0600)";
    }

    /// <summary>The internal API token for the built-in MCP server, which reads it from this file (never from its config).</summary>
    private string ApiTokenFile => Path.Join(SecretsDirectory, "internal-api-token");

    private string WriteApiToken(TaskSpecDocument spec)
    {
        if (spec.InternalApiToken is not { Length: > 0 } token)
        {
            return "no internal API token";
        }

        WriteSecretFile(ApiTokenFile, token);
        return "token in " + ApiTokenFile + " (0600)";
    }

    private void WriteSecretFile(string path, string secret)
    {
        Directory.CreateDirectory(SecretsDirectory);
        OwnerOnly.Directory(SecretsDirectory);
        // Created 0600 before any byte is written, then replaced atomically.
        using (File.Create(path + ".new", 1, FileOptions.None))
        {
        }

        OwnerOnly.File(path + ".new");
        File.WriteAllText(path + ".new", secret);
        File.Move(path + ".new", path, overwrite: true);
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
            ["WHIM_INTERNAL_API_TOKEN_FILE"] = ApiTokenFile,
            ["WHIM_TASK_ID"] = spec.TaskId!,
        };
        return new BuiltInServer(command.FileName, command.Arguments, env);
    }

    private async Task<InitOutcome> RunInitAsync(TaskSpecDocument spec, EffectiveConfig config, Dictionary<string, string?> environment, CancellationToken cancellationToken)
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

    /// <summary>
    /// The agent's (and init script's) environment: the task's identity, the merged env vars, and only the placeholder
    /// key; every inherited provider credential and the internal token are removed (null).
    /// </summary>
    private Dictionary<string, string?> AgentEnvironment(TaskSpecDocument spec, EffectiveConfig config, string home, string agentKey)
    {
        var environment = AgentSecrets.Removals(Environment.GetEnvironmentVariables(), n => AgentSecrets.IsProviderSecret(n) || n == "WHIM_INTERNAL_API_TOKEN");
        environment["WHIM_ROOT"] = settings.Root;
        environment["WHIM_TASK_ID"] = spec.TaskId!;
        Add(environment, "WHIM_WORKSPACE_ID", spec.WorkspaceId);
        Add(environment, "WHIM_API_URL", spec.ApiUrl);
        Add(environment, "WHIM_INTERNAL_API_TOKEN_FILE", string.IsNullOrEmpty(spec.InternalApiToken) ? null : ApiTokenFile);
        environment["HOME"] = home;
        // No update checks or telemetry from inside a task; a layer may turn them back on.
        environment["DISABLE_AUTOUPDATER"] = "1";
        environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        foreach (var (key, value) in config.Env)
        {
            environment[key] = value;
        }

        var proxy = ServiceDefinition.Runtime(settings.PortOffset).Single(s => s.Name == "generation-proxy").Url;
        foreach (var (key, value) in AgentSecrets.ProviderVariables(proxy, agentKey))
        {
            environment[key] = value;
        }

        return environment;
    }

    private Dictionary<string, string?> ServiceEnvironment(TaskSpecDocument spec, string agentKey)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["WHIM_ROOT"] = settings.Root,
            ["WHIM_TASK_ID"] = spec.TaskId!,
            [AgentSecrets.AgentKeyVariable] = agentKey,
        };
        Add(environment, "WHIM_WORKSPACE_ID", spec.WorkspaceId);
        Add(environment, "WHIM_API_URL", spec.ApiUrl);
        Add(environment, "WHIM_INTERNAL_API_TOKEN", spec.InternalApiToken);
        return environment;
    }

    // The real provider keys reach the generation proxy only.
    private static Dictionary<string, string?> ServiceEnvironment(Dictionary<string, string?> common, ServiceDefinition service)
    {
        if (service.Name == "generation-proxy")
        {
            return common;
        }

        var environment = AgentSecrets.Removals(Environment.GetEnvironmentVariables(), AgentSecrets.IsProviderSecret);
        foreach (var (key, value) in common)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static void Add(Dictionary<string, string?> environment, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            environment[key] = value;
        }
    }

    private List<(ServiceDefinition, ServiceCommand)> ResolveServices(IReadOnlyList<ServiceDefinition> services) =>
        [.. services.Select(s => (s, ServiceCommand.Resolve(s, settings.BinDirectory, settings.RepoRoot)))];

    private async Task<IAgentSession> StartAgentAsync(
        TaskSpecDocument spec, EffectiveConfig config, string home, Dictionary<string, string?> environment, DeliveryLedger ledger, CancellationToken cancellationToken)
    {
        var log = Path.Join(_paths.LogDirectory, "agent.out");
        var launcher = new AgentLauncher(AppDirectory, environment, log);
        var resumed = ledger.Contains(DeliveryLedger.TaskPrompt);
        var mcpConfig = Path.Join(home, ".mcp.json");
        IAgentSession agent;
        if (spec.Provider == "codex")
        {
            agent = new CodexExecSession(launcher, (prompt, resume) => AgentCommandLine.Codex(prompt, config, AppDirectory, resume), resumed);
        }
        else
        {
            var claude = new ClaudeStreamSession(launcher, resume => AgentCommandLine.Claude(config, mcpConfig, resume), resumed);
            claude.Start();
            agent = claude;
        }

        if (!resumed && spec.Prompt is { Length: > 0 } prompt)
        {
            await agent.SendAsync(prompt, cancellationToken);
            ledger.Add(DeliveryLedger.TaskPrompt);
        }

        var pid = agent.Pid is { } id ? " (pid " + id.ToString(CultureInfo.InvariantCulture) + ")" : "";
        await output.WriteLineAsync($"  ✓ agent             {spec.Provider} started{pid}, {(resumed ? "task prompt already delivered" : "task prompt delivered")}, output in {log}");
        return agent;
    }

    private static ControlApiPromptQueue? PromptQueue(TaskSpecDocument spec) =>
        spec.ApiUrl is { Length: > 0 } url && spec.InternalApiToken is { Length: > 0 } token ? new ControlApiPromptQueue(url, token, spec.TaskId!) : null;

    private sealed class StepFailedException(string message) : Exception(message);
}

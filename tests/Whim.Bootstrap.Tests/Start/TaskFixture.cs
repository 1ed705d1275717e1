using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Whim.Testing;

namespace Whim.Bootstrap.Tests.Start;

/// <summary>A temp root with a real bare git repository (branch <c>main</c>, one commit) and a task spec pointing at it.</summary>
internal sealed class TaskFixture : IDisposable
{
    private readonly TempRoot _root = new("whim-boot-");

    public TaskFixture()
    {
        Bare = Path.Join(_root.Path, "origin.git");
        var seed = Path.Join(_root.Path, "seed");
        Run(_root.Path, "git", "init", "-q", "--bare", "-b", "main", Bare);
        Run(_root.Path, "git", "init", "-q", "-b", "main", seed);
        File.WriteAllText(Path.Join(seed, "README.md"), "hello\n");
        Run(seed, "git", "add", "README.md");
        Run(seed, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first");
        Run(seed, "git", "push", "-q", Bare, "main");
        Root = Path.Join(_root.Path, "root");
        Directory.CreateDirectory(Root);
    }

    public string Bare { get; }

    /// <summary>The WHIM_ROOT given to bootstrap.</summary>
    public string Root { get; }

    public string App => Path.Join(Root, "app");

    public string Home => Path.Join(Root, "home", "node");

    public string StatusFile => Path.Join(Root, "whim", "run", "bootstrap-status.json");

    public string WriteSpec(JsonObject spec)
    {
        var path = Path.Join(_root.Path, "spec.json");
        File.WriteAllText(path, spec.ToJsonString());
        return path;
    }

    public JsonObject DefaultSpec() => new()
    {
        ["taskId"] = "task-1",
        ["displayId"] = "ABC-12",
        ["workspaceId"] = "ws-1",
        ["repoUrl"] = Bare,
        ["sourceBranch"] = "main",
        ["provider"] = "claude",
        ["prompt"] = "fix the bug",
        ["gitToken"] = "ghs_secret_token_123",
        ["apiUrl"] = "http://127.0.0.1:9",
        ["internalApiToken"] = "internal-token",
        ["workspace"] = new JsonObject
        {
            ["instructions"] = "Workspace rules",
            ["env"] = new JsonObject { ["FOO"] = "from-workspace", ["QUOTED"] = "it's $HOME" },
            ["initScript"] = "echo \"init ran in $PWD\"\necho ran >> \"$WHIM_ROOT/init-count\"",
        },
        ["user"] = new JsonObject
        {
            ["instructions"] = "User rules",
            ["env"] = new JsonObject { ["FOO"] = "from-user" },
            ["bashrc"] = "alias whimtest='echo yes'",
            ["skills"] = new JsonArray(new JsonObject { ["name"] = "greet", ["content"] = "# Greet the user" }),
        },
        // A string layer holding JSON text, with one bad server: reported, the rest applies.
        ["workspace_user"] = """{"instructions":"Task-specific rules","mcpServers":{"broken":{"type":"stdio"},"docs":{"type":"http","url":"https://docs.example/mcp"}}}""",
    };

    // The generation proxy is ready only with a provider credential and the agent's placeholder key; in a container the
    // control plane supplies both.
    public ProcessSpec Start(string specPath, params string[] extra) =>
        RepoLayout.DotnetProject("bootstrap", "Whim.Bootstrap", ["start", "--spec", specPath, "--root", Root, "--repo-root", RepoLayout.Root, "--no-agent", .. extra]) with
        {
            Environment = new Dictionary<string, string?>
            {
                ["WHIM_PROVIDERS__ANTHROPIC__APIKEY"] = "sk-ant-bootstrap-test-" + Guid.NewGuid().ToString("N"),
                ["WHIM_AGENT_KEY"] = "whim-placeholder-" + Guid.NewGuid().ToString("N"),
            },
        };

    /// <summary>
    /// Bootstrap with the agent: <paramref name="agentBin"/> first on PATH, only the generation proxy started (on
    /// <paramref name="portOffset"/>), its Anthropic upstream the stand-in with the real key, and no <c>WHIM_AGENT_KEY</c>
    /// (bootstrap generates the placeholder).
    /// </summary>
    public ProcessSpec StartWithAgent(string specPath, string agentBin, string upstream, string realKey, int portOffset) =>
        RepoLayout.DotnetProject("bootstrap", "Whim.Bootstrap", ["start", "--spec", specPath, "--root", Root, "--repo-root", RepoLayout.Root, "--services", "generation-proxy", "--port-offset", portOffset.ToString(CultureInfo.InvariantCulture)]) with
        {
            Environment = new Dictionary<string, string?>
            {
                ["PATH"] = agentBin + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["WHIM_PROVIDERS__ANTHROPIC__BASEURL"] = upstream,
                ["WHIM_PROVIDERS__ANTHROPIC__APIKEY"] = realKey,
                ["WHIM_AGENT_KEY"] = null,
                ["ANTHROPIC_API_KEY"] = null,
                ["ANTHROPIC_AUTH_TOKEN"] = null,
            },
        };

    public static string Run(string workingDirectory, string file, params string[] args) => Run(workingDirectory, null, file, args);

    public static string Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {stderr}");
        }

        return stdout.Result;
    }

    public void Dispose() => _root.Dispose();
}

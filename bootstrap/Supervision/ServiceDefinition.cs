namespace Whim.Bootstrap.Supervision;

/// <summary>One process bootstrap starts: its assembly, where it listens, and which path says it is alive.</summary>
/// <param name="Name">Short name for output, e.g. <c>generation-proxy</c>.</param>
/// <param name="Assembly">The assembly or AOT binary name, e.g. <c>Whim.GenerationProxy</c>.</param>
/// <param name="ProjectFolder">Where the project lives in the repository, for running from a build.</param>
/// <param name="Port">The port it listens on (platform port plus any offset).</param>
internal sealed record ServiceDefinition(string Name, string Assembly, string ProjectFolder, int Port)
{
    /// <summary>The platform's order: backup agent, local proxy, port monitor, generation proxy.</summary>
    public static IReadOnlyList<ServiceDefinition> Runtime(int offset) =>
    [
        new("backup-agent", "Whim.BackupAgent", "runtime/BackupAgent", 8081 + offset),
        new("local-proxy", "Whim.LocalProxy", "runtime/LocalProxy", 8080 + offset),
        new("port-monitor", "Whim.PortMonitor", "runtime/PortMonitor", 8082 + offset),
        new("generation-proxy", "Whim.GenerationProxy", "runtime/GenerationProxy", 3001 + offset),
    ];

    /// <summary>The control API, which <c>up</c> runs beside the runtime.</summary>
    public static ServiceDefinition Control(int offset) => new("control", "Whim.Control", "control", 5080 + offset);

    /// <summary>The base URL on the loopback.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/");
}

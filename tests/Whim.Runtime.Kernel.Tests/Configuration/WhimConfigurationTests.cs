using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Whim.Runtime.Configuration;
using Whim.Testing;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.Configuration;

public sealed class WhimConfigurationTests
{
    [Fact]
    public void Later_sources_win_defaults_file_environment_command_line()
    {
        using var root = new TempRoot();
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var file = root.File("config.json");
        File.WriteAllText(file, $$"""{ "A{{suffix}}": "file", "B{{suffix}}": "file", "C{{suffix}}": "file" }""");
        Environment.SetEnvironmentVariable($"WHIM_B{suffix}", "env");
        Environment.SetEnvironmentVariable($"WHIM_C{suffix}", "env");
        Environment.SetEnvironmentVariable($"WHIM_S{suffix}__INNER", "section");
        try
        {
            var manager = new ConfigurationManager();
            WhimConfiguration.UseWhimSources(manager, ["--CONFIG", file, $"--C{suffix}", "cli"], [new($"A{suffix}", "default"), new($"D{suffix}", "default")]);

            manager[$"A{suffix}"].Should().Be("file");
            manager[$"B{suffix}"].Should().Be("env");
            manager[$"C{suffix}"].Should().Be("cli");
            manager[$"D{suffix}"].Should().Be("default");
            manager[$"S{suffix}:Inner"].Should().Be("section");
        }
        finally
        {
            Environment.SetEnvironmentVariable($"WHIM_B{suffix}", null);
            Environment.SetEnvironmentVariable($"WHIM_C{suffix}", null);
            Environment.SetEnvironmentVariable($"WHIM_S{suffix}__INNER", null);
        }
    }

    [Fact]
    public void A_named_config_file_that_is_missing_is_an_error()
    {
        var manager = new ConfigurationManager();
        var act = () => WhimConfiguration.UseWhimSources(manager, ["--CONFIG", "/nonexistent/whim.json"], []);
        act.Should().Throw<FileNotFoundException>().WithMessage("*whim.json*");
    }

    [Fact]
    public void Platform_paths_hang_from_the_root_unless_set_explicitly()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ROOT"] = "/tmp/r1",
            ["LOG_DIR"] = "/var/custom-logs",
        }).Build();
        var paths = new WhimPaths(configuration);

        paths.Resolve("STATE_FILE", "/tmp/claude_state").Should().Be("/tmp/r1/tmp/claude_state");
        paths.RunDirectory.Should().Be("/tmp/r1/whim/run");
        paths.LogDirectory.Should().Be("/var/custom-logs");
        new WhimPaths(new ConfigurationBuilder().Build()).UnderRoot("/whim/logs").Should().Be("/whim/logs");
    }
}

using System.Text.Json;
using FluentAssertions;
using Whim.Testing;

namespace Whim.WhimMcp.Tests;

public sealed class StdioServerTests
{
    [Fact]
    public async Task Answers_initialize_on_stdio_and_keeps_stdout_for_the_protocol()
    {
        using var root = new TempRoot();
        var spec = RepoLayout.DotnetProject("runtime/WhimMcp", "Whim.WhimMcp") with
        {
            RedirectInput = true,
            RawStdout = true,
            Environment = new Dictionary<string, string?> { ["WHIM_ROOT"] = root.Path },
        };
        await using var server = RunningProcess.Start(spec);

        await server.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""");
        await server.StandardInput.FlushAsync();
        var line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));

        line.Should().NotBeNull(server.Output);
        using var answer = JsonDocument.Parse(line!);
        answer.RootElement.GetProperty("id").GetInt32().Should().Be(1);
        var result = answer.RootElement.GetProperty("result");
        result.GetProperty("serverInfo").GetProperty("name").GetString().Should().Be("whim");
        result.GetProperty("protocolVersion").GetString().Should().NotBeNullOrEmpty();

        server.StandardInput.Close();
        (await server.WaitForExitAsync()).Should().Be(0, "closing stdin ends the session cleanly");
    }

    [Fact]
    public async Task A_bad_setting_stops_the_server_with_a_message_naming_it_on_stderr()
    {
        using var root = new TempRoot();
        var spec = RepoLayout.DotnetProject("runtime/WhimMcp", "Whim.WhimMcp") with
        {
            Environment = new Dictionary<string, string?> { ["WHIM_ROOT"] = root.Path, ["WHIM_CONTROL_API__MAXRETRIES"] = "1000" },
        };
        await using var server = RunningProcess.Start(spec);

        (await server.WaitForExitAsync()).Should().Be(2, server.Output);
        server.Stderr.Should().Contain(l => l.Contains("WHIM_CONTROL_API__MAXRETRIES") && l.Contains("between 0 and 100"), server.Output);
        server.Stdout.Should().BeEmpty("stdout carries only the protocol");
    }
}

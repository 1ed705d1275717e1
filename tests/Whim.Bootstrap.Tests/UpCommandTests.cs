using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.Bootstrap.Tests;

[Collection(ProcessTests.Name)]
public sealed class UpCommandTests
{
    [Fact]
    public async Task Up_starts_the_control_api_and_every_runtime_service_and_ctrl_c_stops_them_all()
    {
        using var root = new TempRoot();
        // A random offset keeps this run clear of the platform ports and of other runs on the machine.
        var offset = PortOffset.Next();
        var spec = RepoLayout.DotnetProject("bootstrap", "Whim.Bootstrap", "up", "--repo-root", RepoLayout.Root, "--root", root.Path, "--port-offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var up = RunningProcess.Start(spec);

        await up.WaitForLineAsync(l => l.Contains("Everything is running", StringComparison.Ordinal), "up to report that everything runs", TimeSpan.FromSeconds(90));

        using var http = new HttpClient();
        int[] ports = [5080, 8081, 8080, 8082, 3001];
        foreach (var port in ports)
        {
            var health = await http.GetStringAsync($"http://127.0.0.1:{port + offset}/healthz");
            health.Should().Contain("\"status\":\"ok\"", $"port {port + offset} answers");
        }

        up.Stdout.Should().Contain(l => l.Contains("generation-proxy", StringComparison.Ordinal) && l.Contains("up in", StringComparison.Ordinal));
        File.Exists(Path.Join(root.Path, "whim", "logs", "generation-proxy.log")).Should().BeTrue("services run with WHIM_ROOT at the scratch root");

        up.Signal(2);
        (await up.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(0, up.Output);
        up.Stdout.Count(l => l.Contains("stopped", StringComparison.Ordinal)).Should().Be(5);
        foreach (var port in ports)
        {
            await FluentActions.Awaiting(() => http.GetAsync($"http://127.0.0.1:{port + offset}/healthz"))
                .Should().ThrowAsync<HttpRequestException>($"port {port + offset} is closed after up stopped");
        }
    }

    [Fact]
    public async Task Help_lists_the_up_command()
    {
        await using var help = RunningProcess.Start(RepoLayout.DotnetProject("bootstrap", "Whim.Bootstrap", "--help"));
        (await help.WaitForExitAsync()).Should().Be(0);
        help.Stdout.Should().Contain(l => l.TrimStart().StartsWith("up", StringComparison.Ordinal));
    }
}

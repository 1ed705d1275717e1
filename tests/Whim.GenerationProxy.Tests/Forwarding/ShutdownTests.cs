using System.Net;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.GenerationProxy.Tests.Forwarding;

public sealed class ShutdownTests
{
    [Fact]
    public async Task SIGTERM_stops_accepting_and_lets_the_stream_in_flight_finish()
    {
        using var root = new TempRoot("whim-genproxy-drain-");
        await using var standIn = await ProviderStandIn.StartAsync();
        standIn.Behaviour.EventGap = TimeSpan.FromMilliseconds(250);
        standIn.Behaviour.TextChunks = 10;
        await using var proxy = await ServiceProcess.StartAsync(
            "runtime/GenerationProxy", "Whim.GenerationProxy", root.Path, null, [.. ProxyHarness.Arguments(root.Path, standIn.BaseUrl)]);

        using var response = await proxy.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await reader.ReadLineAsync()).Should().Be("event: message_start");

        proxy.Process.Signal(15);
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    using var fresh = new HttpClient { BaseAddress = proxy.BaseAddress };
                    using var _ = await fresh.GetAsync("healthz");
                    return false;
                }
                catch (HttpRequestException)
                {
                    return true;
                }
            },
            "new connections to be refused");

        var rest = await reader.ReadToEndAsync();
        rest.Should().Contain("event: message_stop", "the stream in flight is drained, not cut");
        (await proxy.Process.WaitForExitAsync()).Should().Be(0, proxy.Process.Output);
        var log = await File.ReadAllLinesAsync(Path.Join(root.Path, "logs", "generations.jsonl"));
        log.Should().ContainSingle().Which.Should().Contain("\"cancelled\":false").And.Contain("\"output\":12");
    }
}

using System.Net;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.GenerationProxy.Tests.Providers;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Ready_when_the_agent_key_and_a_provider_credential_are_set()
    {
        await using var h = await ProxyHarness.StartAsync();
        using var response = await h.Client.GetAsync("readyz");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Missing_provider_credential_is_not_ready_and_names_the_setting()
    {
        using var root = new TempRoot();
        await using var app = await StartedApp.StartAsync(GenerationProxyApp.Build(
            ["--urls", "http://127.0.0.1:0", "--ROOT", root.Path, "--AGENT_KEY", "p", "--PROVIDERS:REQUIRED", "anthropic,openai", "--PROVIDERS:OPENAI:APIKEY", "k"]));
        using var response = await app.Client.GetAsync("readyz");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var body = await response.Content.ReadAsStringAsync();
        body.Should().Contain("WHIM_PROVIDERS__ANTHROPIC__APIKEY").And.NotContain("WHIM_PROVIDERS__OPENAI__APIKEY");

        using var request = ProxyHarness.Generation("anthropic", stream: false, key: "p");
        using var call = await app.Client.SendAsync(request);
        call.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await call.Content.ReadAsStringAsync()).Should().Contain("WHIM_PROVIDERS__ANTHROPIC__APIKEY");
    }

    [Fact]
    public async Task No_credentials_at_all_is_not_ready()
    {
        using var root = new TempRoot();
        await using var app = await StartedApp.StartAsync(GenerationProxyApp.Build(["--urls", "http://127.0.0.1:0", "--ROOT", root.Path]));
        using var response = await app.Client.GetAsync("readyz");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await response.Content.ReadAsStringAsync()).Should().Contain("WHIM_AGENT_KEY").And.Contain("WHIM_PROVIDERS__ANTHROPIC__APIKEY");
    }

    [Fact]
    public async Task A_bad_setting_stops_the_start_naming_it()
    {
        using var root = new TempRoot();
        var start = async () =>
        {
            await using var app = GenerationProxyApp.Build(["--urls", "http://127.0.0.1:0", "--ROOT", root.Path, "--PROVIDERS:OPENAI:BASEURL", "not a url", "--PROXY:SILENCELIMIT", "00:00:00"]);
            await app.StartAsync();
        };
        var thrown = await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>();
        thrown.WithMessage("*WHIM_PROVIDERS__OPENAI__BASEURL*").And.Message.Should().Contain("WHIM_PROXY__SILENCELIMIT");
    }
}

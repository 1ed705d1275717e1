using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Whim.Runtime.Configuration;
using Whim.Runtime.Logging;
using Whim.Testing;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.Logging;

public sealed class RedactionTests
{
    [Fact]
    public void Secrets_are_masked_in_the_written_log_whatever_way_they_reach_it()
    {
        using var root = new TempRoot();
        var providerKey = "sk-ant-api03-" + Guid.NewGuid().ToString("N");
        var bearer = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var mcpToken = $"whim_mcp_abc123_{Guid.NewGuid():N}";
        var registered = "plain-looking-value-" + Guid.NewGuid().ToString("N")[..8];
        SecretRedactor.Shared.Register(registered);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ROOT"] = root.Path }).Build();
        var logger = WhimLogging.CreateLogger("redaction-test", configuration, new WhimPaths(configuration));
        logger.Information("Forwarding with key {ProviderKey}", providerKey);
        logger.Information("Header was {Header}", "Bearer " + bearer);
        logger.Information("Token {Value} issued", mcpToken);
        logger.Information("Registered {Thing}", registered);
        logger.Information("Options {@Options}", new { BaseUrl = "http://x", ApiKey = "unshaped-secret-value" });
        logger.Information("Secret object {Credential}", new Secret("another-secret-" + Guid.NewGuid().ToString("N")));
        logger.Error(new InvalidOperationException("upstream refused Bearer " + bearer), "Call failed");
        logger.Dispose();

        var text = File.ReadAllText(Path.Join(root.Path, "whim", "logs", "redaction-test.log"));
        text.Should().NotContain(providerKey).And.NotContain(bearer).And.NotContain(mcpToken)
            .And.NotContain(registered).And.NotContain("unshaped-secret-value").And.NotContain("another-secret-");
        text.Should().Contain("Bearer ***").And.Contain("whim_mcp_abc123_***").And.Contain("\"BaseUrl\":\"http://x\"");
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(7, "every event is still written, one JSON line each");
    }

    [Theory]
    [InlineData("x-api-key: sk-proj-abcdefghijklmnop1234", "sk-proj-abcdefghijklmnop1234")]
    [InlineData("token=ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123")]
    [InlineData("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==")]
    [InlineData("{\"password\":\"hunter2hunter2\"}", "hunter2hunter2")]
    public void Credential_shaped_text_is_masked_without_registration(string text, string secret)
    {
        new SecretRedactor().Redact(text).Should().NotContain(secret).And.Contain(SecretRedactor.Mask);
    }

    [Theory]
    [InlineData("task WW-12 went idle after 15 minutes")]
    [InlineData("GET /api/v1/tasks/abc/ports answered 200")]
    public void Ordinary_text_is_left_alone(string text)
    {
        new SecretRedactor().Redact(text).Should().Be(text);
    }

    [Theory]
    [InlineData("ApiKey", true)]
    [InlineData("api_key", true)]
    [InlineData("Authorization", true)]
    [InlineData("INTERNAL_API_TOKEN", true)]
    [InlineData("refreshToken", true)]
    [InlineData("TokenCount", false)]
    [InlineData("Service", false)]
    [InlineData("InputTokens", false)]
    public void Property_names_mark_credentials(string name, bool sensitive)
    {
        SecretRedactor.IsSensitiveName(name).Should().Be(sensitive);
    }

    [Fact]
    public void A_secret_prints_as_the_mask_and_reveals_on_request()
    {
        var secret = new Secret("value-" + Guid.NewGuid().ToString("N"));
        secret.ToString().Should().Be(SecretRedactor.Mask);
        $"{secret}".Should().Be(SecretRedactor.Mask);
        secret.Matches(secret.Reveal()).Should().BeTrue();
        secret.Matches("other").Should().BeFalse();
    }
}

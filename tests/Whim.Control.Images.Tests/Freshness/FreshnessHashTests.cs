using FluentAssertions;
using Whim.Control.Images.Config;
using Whim.Control.Images.Freshness;
using Xunit;

namespace Whim.Control.Images.Tests.Freshness;

public sealed class FreshnessHashTests
{
    private static readonly ImageConfig s_config = new("Dockerfile.whim", ".", ["package.json", "pnpm-lock.yaml"], ["NPM_TOKEN"]);

    private static FakeRepository Repo() => new FakeRepository()
        .With("Dockerfile.whim", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\n")
        .With("package.json", "{\"name\":\"app\"}")
        .With("pnpm-lock.yaml", "lock: 1")
        .With("src/index.ts", "console.log(1)");

    [Fact]
    public void Changing_an_unstaged_file_keeps_the_hash()
    {
        var before = FreshnessHash.Compute(s_config, Repo());
        var after = FreshnessHash.Compute(s_config, Repo().With("src/index.ts", "console.log(2)").With("README.md", "new"));

        after.Should().Be(before);
        before.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public void Changing_a_staged_file_changes_the_hash() =>
        FreshnessHash.Compute(s_config, Repo().With("pnpm-lock.yaml", "lock: 2"))
            .Should().NotBe(FreshnessHash.Compute(s_config, Repo()));

    [Fact]
    public void Changing_the_dockerfile_changes_the_hash() =>
        FreshnessHash.Compute(s_config, Repo().With("Dockerfile.whim", "ARG RUNNER_COMPAT_REF\nFROM $RUNNER_COMPAT_REF\n"))
            .Should().NotBe(FreshnessHash.Compute(s_config, Repo()));

    [Fact]
    public void Changing_the_config_changes_the_hash() =>
        FreshnessHash.Compute(s_config with { BuildSecrets = ["NPM_TOKEN", "OTHER"] }, Repo())
            .Should().NotBe(FreshnessHash.Compute(s_config, Repo()));

    [Fact]
    public void Staged_file_order_in_the_config_does_not_matter() =>
        FreshnessHash.Compute(s_config with { StagedFiles = ["pnpm-lock.yaml", "package.json"] }, Repo())
            .Should().Be(FreshnessHash.Compute(s_config, Repo()));

    [Fact]
    public void Canonical_json_has_sorted_keys_and_no_whitespace() =>
        System.Text.Encoding.UTF8.GetString(FreshnessHash.CanonicalJson(s_config)).Should().Be(
            """{"buildSecrets":["NPM_TOKEN"],"context":".","dockerfile":"Dockerfile.whim","stagedFiles":["package.json","pnpm-lock.yaml"]}""");
}

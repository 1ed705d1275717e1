using FluentAssertions;
using Whim.Control.Images.Config;
using Xunit;

namespace Whim.Control.Images.Tests.Config;

public sealed class ImageConfigReaderTests
{
    [Fact]
    public void Whim_json_is_read_and_normalised()
    {
        var repo = new FakeRepository().With("whim.json", """
            { "image": { "dockerfile": "./docker//Dockerfile.whim", "context": ".",
                         "stagedFiles": ["pnpm-lock.yaml", "package.json", "./package.json"], "buildSecrets": ["NPM_TOKEN"] } }
            """);

        var result = ImageConfigReader.Read(repo);

        result.IsValid.Should().BeTrue(string.Join("; ", result.Errors));
        result.Source.Should().Be(ImageConfigSource.WhimJson);
        result.Config!.Dockerfile.Should().Be("docker/Dockerfile.whim");
        result.Config.Context.Should().Be(".");
        result.Config.StagedFiles.Should().Equal("package.json", "pnpm-lock.yaml");
        result.Config.BuildSecrets.Should().Equal("NPM_TOKEN");
        result.Config.AvailableSecrets.Should().Equal("NPM_TOKEN", "GITHUB_TOKEN");
    }

    [Fact]
    public void Whim_json_wins_over_package_json()
    {
        var repo = new FakeRepository()
            .With("whim.json", """{ "image": { "dockerfile": "A.Dockerfile" } }""")
            .With("package.json", """{ "whim": { "image": { "dockerfile": "B.Dockerfile" } } }""");

        ImageConfigReader.Read(repo).Config!.Dockerfile.Should().Be("A.Dockerfile");
    }

    [Fact]
    public void Package_json_whim_image_is_used_when_there_is_no_whim_json()
    {
        var repo = new FakeRepository().With("package.json", """{ "name": "x", "whim": { "image": { "dockerfile": "Dockerfile" } } }""");

        var result = ImageConfigReader.Read(repo);

        result.Source.Should().Be(ImageConfigSource.PackageJson);
        result.Config!.Dockerfile.Should().Be("Dockerfile");
        result.Config.StagedFiles.Should().BeEmpty();
    }

    [Theory]
    [InlineData("whim.json", """{ "image": { } }""", "image.dockerfile", "is required")]
    [InlineData("whim.json", """{ "image": { "dockerfile": 3 } }""", "image.dockerfile", "must be a string")]
    [InlineData("whim.json", """{ "image": { "dockerfile": "/etc/passwd" } }""", "image.dockerfile", "relative")]
    [InlineData("whim.json", """{ "image": { "dockerfile": "D", "context": "../up" } }""", "image.context", "'..'")]
    [InlineData("whim.json", """{ "image": { "dockerfile": "D", "stagedFiles": "a" } }""", "image.stagedFiles", "must be an array")]
    [InlineData("whim.json", """{ "image": { "dockerfile": "D", "stagedFiles": ["a", 1] } }""", "image.stagedFiles[1]", "must be a string")]
    [InlineData("whim.json", """{ "image": { "dockerfile": "D", "buildSecrets": ["1BAD"] } }""", "image.buildSecrets[0]", "environment variable name")]
    [InlineData("whim.json", """{ "image": { "dockerfile": "D", "extra": true } }""", "image.extra", "not a known field")]
    [InlineData("whim.json", """{ "image": [] }""", "image", "must be an object")]
    [InlineData("whim.json", """{ "image": """, "$", "not valid JSON")]
    [InlineData("whim.json", """{ }""", "image", "is required")]
    [InlineData("package.json", """{ "name": "x" }""", "whim", "is required")]
    [InlineData("package.json", """{ "whim": { "image": { "dockerfile": "D", "stagedFiles": ["a\\b"] } } }""", "whim.image.stagedFiles[0]", "'/'")]
    public void Bad_config_is_reported_with_file_and_field(string file, string json, string field, string reason)
    {
        var result = ImageConfigReader.Read(new FakeRepository().With(file, json));

        result.IsValid.Should().BeFalse();
        result.Errors.Should().Contain(e => e.File == file && e.Field == field && e.Reason.Contains(reason), string.Join("; ", result.Errors));
    }

    [Fact]
    public void A_repository_without_either_file_has_no_image()
    {
        var result = ImageConfigReader.Read(new FakeRepository().With("README.md", "hi"));

        result.IsValid.Should().BeFalse();
        result.Errors.Single().ToString().Should().Contain("whim.json");
    }
}

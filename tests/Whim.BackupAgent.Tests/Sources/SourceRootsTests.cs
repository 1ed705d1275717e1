using FluentAssertions;
using Whim.BackupAgent.Configuration;
using Whim.BackupAgent.Sources;
using Xunit;

namespace Whim.BackupAgent.Tests.Sources;

public sealed class SourceRootsTests
{
    private static readonly SourceRoots s_roots = SourceRoots.From(new BackupOptions
    {
        HomeDirectory = "/home/node",
        ExtraGlobs = [".local/share/app/**/*.log", ".python_history"],
    });

    [Theory]
    [InlineData("claude/projects/-app/s.jsonl", "/home/node/.claude/projects/-app/s.jsonl")]
    [InlineData("codex/sessions/2026/11/27/rollout-1.jsonl", "/home/node/.codex/sessions/2026/11/27/rollout-1.jsonl")]
    [InlineData("shell/bash_history", "/home/node/.bash_history")]
    [InlineData("shell/zsh_history", "/home/node/.zsh_history")]
    [InlineData("extra/.local/share/app/x/y.log", "/home/node/.local/share/app/x/y.log")]
    [InlineData("extra/.python_history", "/home/node/.python_history")]
    public void Stream_maps_back_to_the_file_it_came_from(string stream, string path)
    {
        s_roots.PathFor(stream).Should().Be(path);
    }

    [Theory]
    [InlineData("claude/projects/../../.bashrc")]
    [InlineData("claude/projects/-app/notes.txt")]
    [InlineData("other/.bashrc")]
    [InlineData("shell/bash_history/x")]
    [InlineData("extra/.local/share/app/y.txt")]
    [InlineData("/etc/passwd")]
    public void Stream_no_root_would_produce_maps_to_nothing(string stream)
    {
        s_roots.PathFor(stream).Should().BeNull();
    }

    [Fact]
    public void Extra_glob_names_its_files_under_extra()
    {
        var root = s_roots.Roots.Single(r => r.StreamPrefix == "extra/.local/share/app");

        root.Includes("x/y.log").Should().BeTrue();
        root.Includes("x/y.txt").Should().BeFalse();
        root.StreamFor("x/y.log").Should().Be("extra/.local/share/app/x/y.log");
    }

    [Fact]
    public void Options_validator_names_a_glob_that_escapes_the_home()
    {
        var result = new BackupOptionsValidator().Validate(null, new BackupOptions { ExtraGlobs = ["../etc/*"] });

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("WHIM_BACKUP__EXTRAGLOBS__0");
    }
}

using FluentAssertions;
using Whim.BackupAgent.Sources;
using Xunit;

namespace Whim.BackupAgent.Tests.Sources;

public sealed class StreamNameTests
{
    [Fact]
    public void Ordinary_relative_path_keeps_its_name()
    {
        StreamName.Create("claude/projects", "-home-node-app/0b6f.jsonl").Should().Be("claude/projects/-home-node-app/0b6f.jsonl");
    }

    [Theory]
    [InlineData("../escape.jsonl")]
    [InlineData("a/./b.jsonl")]
    [InlineData("tab\there.jsonl")]
    [InlineData("ünïcode.jsonl")]
    [InlineData("back\\slash.jsonl")]
    public void Unsafe_names_are_sanitised_into_valid_stream_names(string relative)
    {
        var name = StreamName.Create("claude/projects", relative);

        StreamName.IsValid(name).Should().BeTrue(name);
        name.Should().StartWith("claude/projects/");
    }

    [Fact]
    public void Different_files_that_sanitise_alike_get_different_names()
    {
        var tab = StreamName.Create("claude/projects", "a\tb.jsonl");
        var newline = StreamName.Create("claude/projects", "a\nb.jsonl");

        tab.Should().NotBe(newline);
        tab.Should().EndWith(".jsonl", "the extension is kept so the server can still tell the kind");
    }

    [Fact]
    public void Overlong_name_is_cut_to_the_contract_limit_with_a_hash()
    {
        var name = StreamName.Create("codex/sessions", new string('x', 600) + ".jsonl");

        name.Length.Should().BeLessThanOrEqualTo(StreamName.MaxLength);
        StreamName.IsValid(name).Should().BeTrue();
        name.Should().NotBe(StreamName.Create("codex/sessions", new string('x', 601) + ".jsonl"));
    }

    [Theory]
    [InlineData("/abs/x", false)]
    [InlineData("a/../b", false)]
    [InlineData("a//b", false)]
    [InlineData("a/\u0001b", false)]
    [InlineData("", false)]
    [InlineData("shell/bash_history", true)]
    public void IsValid_follows_the_history_contract(string name, bool valid)
    {
        StreamName.IsValid(name).Should().Be(valid);
    }
}

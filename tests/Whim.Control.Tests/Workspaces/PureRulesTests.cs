using FluentAssertions;
using Whim.Control.Heartbeats;
using Whim.Control.History;
using Whim.Control.Preview;
using Whim.Control.Tokens;
using Whim.Control.Workspaces;
using Xunit;

namespace Whim.Control.Tests.Workspaces;

/// <summary>The pure rules: display-id prefixes, stream names, preview hosts, the idle rule, token shapes.</summary>
public sealed class PureRulesTests
{
    [Theory]
    [InlineData("my-app", "MA")]
    [InlineData("acme/billing", "BI")]
    [InlineData("Whim Web", "WW")]
    [InlineData("x", "XX")]
    [InlineData("--", "WS")]
    public void Prefix_comes_from_the_workspace_name(string name, string prefix) => DisplayIds.Prefix(name).Should().Be(prefix);

    [Fact]
    public void A_taken_prefix_gets_the_first_free_number() =>
        DisplayIds.Unique("MA", new HashSet<string> { "MA", "MA2" }).Should().Be("MA3");

    [Theory]
    [InlineData("claude/projects/-app/x.jsonl", null, "conversation")]
    [InlineData("codex/sessions/2026/11/27/rollout-1.jsonl", null, "conversation")]
    [InlineData("shell/bash_history", null, "shell")]
    [InlineData("misc/notes.txt", null, "other")]
    [InlineData("/etc/passwd", "must be a relative path", null)]
    [InlineData("a/../b", "must not contain empty, '.' or '..' segments", null)]
    [InlineData("a/b\u0001", "must be printable ASCII", null)]
    public void Stream_names_are_checked_and_classified(string stream, string? problem, string? kind)
    {
        StreamNames.Problem(stream).Should().Be(problem);
        if (kind is not null)
        {
            StreamNames.KindOf(stream).Should().Be(kind);
        }
    }

    [Fact]
    public void Conversation_lines_index_their_text_but_not_their_bookkeeping()
    {
        var text = HistoryText.Extract("conversation", """{"uuid":"u-1","type":"assistant","message":{"content":[{"type":"text","text":"hello world"}]}}"""u8);
        text.Should().Be("hello world");
        HistoryText.Extract("shell", "#1700000000"u8).Should().BeNull();
        HistoryText.Extract("shell", " npm test "u8).Should().Be("npm test");
        HistoryText.Extract("conversation", "{not json"u8).Should().BeNull();
    }

    [Theory]
    [InlineData("5173-ww-12.preview.test", true, 5173, "WW-12")]
    [InlineData("5173-WW-12.PREVIEW.TEST", true, 5173, "WW-12")]
    [InlineData("preview.test", false, 0, "")]
    [InlineData("99999-ww-1.preview.test", false, 0, "")]
    [InlineData("a.5173-ww-1.preview.test", false, 0, "")]
    [InlineData("5173-ww-1.other.test", false, 0, "")]
    public void Preview_hosts_name_a_port_and_a_display_id(string host, bool ok, int port, string displayId)
    {
        PreviewHost.TryParse(host, "preview.test", out var p, out var d).Should().Be(ok);
        if (ok)
        {
            (p, d).Should().Be((port, displayId));
        }
    }

    [Fact]
    public void Idle_time_counts_from_the_first_idle_poll_and_working_resets_it()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var timeout = TimeSpan.FromMinutes(15);
        IdlePolicy.Decide("idle", null, t0, timeout).Should().Be(((DateTimeOffset?)t0, false));
        IdlePolicy.Decide("idle", t0, t0 + timeout, timeout).Should().Be(((DateTimeOffset?)t0, true));
        IdlePolicy.Decide("working", t0, t0 + timeout, timeout).Should().Be(((DateTimeOffset?)null, false));
        IdlePolicy.Decide("unreachable", t0, t0 + timeout, timeout).Should().Be(((DateTimeOffset?)t0, false));
        IdlePolicy.Decide("idle", t0, t0 + TimeSpan.FromDays(1), TimeSpan.Zero).Item2.Should().BeFalse("0 disables auto-sleep");
    }

    [Fact]
    public void Tokens_have_the_documented_shape_and_only_their_hash_matches()
    {
        var (token, lookup, hash) = TokenFormat.Issue(TokenFormat.Mcp);
        token.Should().MatchRegex("^whim_mcp_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$");
        TokenFormat.TryParse(token, out var kind, out var parsed).Should().BeTrue();
        (kind, parsed).Should().Be((TokenFormat.Mcp, lookup));
        TokenFormat.HashMatches(token, hash).Should().BeTrue();
        TokenFormat.HashMatches(token + "x", hash).Should().BeFalse();
        hash.Should().NotContain(token[^40..]);
        TokenFormat.TryParse("whim_other_abc_def", out _, out _).Should().BeFalse();
    }
}

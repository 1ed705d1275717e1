using System.Net;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.BackupAgent.Tests.Functional;

public sealed class BackupFlowTests
{
    private const string Session = ".claude/projects/-app/0b6f-session.jsonl";
    private const string SessionStream = "claude/projects/-app/0b6f-session.jsonl";

    [Fact]
    public async Task Session_file_is_byte_identical_on_the_backend_after_POST_backup()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        var expected = new MemoryStream();
        for (var i = 0; i < 200; i++)
        {
            var line = Encoding.UTF8.GetBytes($"{{\"type\":\"user\",\"n\":{i},\"text\":\"héllo {new string('x', i * 37)}\"}}\n");
            harness.Append(Session, line);
            expected.Write(line);
        }

        harness.Append(".bash_history", "ls -la\ngit status\n"u8.ToArray());
        harness.Append(".codex/sessions/2026/11/27/rollout-1.jsonl", "{\"codex\":1}\n"u8.ToArray());

        using var response = await agent.Client.PostAsync("backup?timeout=30", null);

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await harness.Backend.BytesAsync(harness.Task.Id, SessionStream)).Should().Equal(expected.ToArray());
        (await harness.Backend.BytesAsync(harness.Task.Id, "shell/bash_history")).Should().Equal("ls -la\ngit status\n"u8.ToArray());
        (await harness.Backend.BytesAsync(harness.Task.Id, "codex/sessions/2026/11/27/rollout-1.jsonl")).Should().Equal("{\"codex\":1}\n"u8.ToArray());
        (await harness.Backend.StreamsAsync(harness.Task.Id)).Should().HaveCount(3, "nothing else of the home is uploaded");
    }

    [Fact]
    public async Task Appends_after_the_first_backup_are_sent_as_increments_only()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentProcessAsync();
        harness.Append(Session, "first\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        harness.Append(Session, "second\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        (await harness.Backend.BytesAsync(harness.Task.Id, SessionStream)).Should().Equal("first\nsecond\n"u8.ToArray());
        (await AgentHarness.UploadedBytesAsync(agent)).Should().Be("first\nsecond\n".Length, "growth is appended at the acknowledged offset, not re-sent");
    }

    [Fact]
    public async Task Backend_that_lost_the_tail_is_sent_it_again_from_the_length_it_holds()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        var path = harness.Append(Session, "{\"n\":1}\n{\"n\":2}\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();
        // The backend comes back from an older copy: it holds only the first line; the agent's checkpoint is ahead.
        await harness.Backend.SeedAsync(harness.Task.Id, SessionStream, "{\"n\":1}\n"u8.ToArray());

        harness.Append(Session, "{\"n\":3}\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        (await harness.Backend.BytesAsync(harness.Task.Id, SessionStream)).Should().Equal(File.ReadAllBytes(path), "the 409 names the held length and the agent resends from there");
    }

    [Fact]
    public async Task Truncated_file_starts_its_stream_over()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        var path = harness.Append(".bash_history", Encoding.UTF8.GetBytes(new string('a', 10_000) + "\n"));
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        File.WriteAllBytes(path, "short\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        (await harness.Backend.BytesAsync(harness.Task.Id, "shell/bash_history")).Should().Equal("short\n"u8.ToArray());
    }

    [Fact]
    public async Task Rotated_file_with_a_new_inode_replaces_the_stream()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        var path = harness.Append(".bash_history", "old-1\nold-2\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        File.Move(path, path + ".1");
        harness.Append(".bash_history", "new-1\nnew-2\nnew-3\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        (await harness.Backend.BytesAsync(harness.Task.Id, "shell/bash_history")).Should().Equal("new-1\nnew-2\nnew-3\n"u8.ToArray());
    }

    [Fact]
    public async Task File_rewritten_in_place_to_a_longer_content_starts_over()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        var path = harness.Append(".bash_history", "aaaa\n"u8.ToArray());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Write("bbbb\nmore\n"u8);
        }

        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        (await harness.Backend.BytesAsync(harness.Task.Id, "shell/bash_history")).Should().Equal("bbbb\nmore\n"u8.ToArray());
    }

    [Fact]
    public async Task Symlink_to_a_file_outside_the_roots_is_not_uploaded_and_is_reported()
    {
        await using var harness = await AgentHarness.CreateAsync();
        var outside = harness.Root.File("outside/secret.jsonl");
        File.WriteAllText(outside, "{\"secret\":true}\n");
        harness.Append(Session, "{\"ok\":1}\n"u8.ToArray());
        var link = Path.Join(harness.Home, ".claude/projects/-app/evil.jsonl");
        File.CreateSymbolicLink(link, outside);
        Directory.CreateSymbolicLink(Path.Join(harness.Home, ".claude/projects/linked-dir"), Path.GetDirectoryName(outside)!);
        await using var agent = await harness.StartAgentAsync();

        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        (await harness.Backend.StreamsAsync(harness.Task.Id)).Should().Equal(SessionStream);
        using var status = JsonDocument.Parse(await agent.Client.GetStringAsync("status"));
        var skipped = status.RootElement.GetProperty("skipped").EnumerateArray()
            .Select(s => (s.GetProperty("path").GetString(), s.GetProperty("reason").GetString())).ToList();
        skipped.Should().Contain((link, "symlink leads outside the backup roots"));
    }

    [Fact]
    public async Task Backup_answers_504_naming_the_pending_stream_while_the_backend_is_down()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        await harness.Backend.StopAsync();
        harness.Append(Session, "{\"pending\":1}\n"u8.ToArray());

        using var response = await agent.Client.PostAsync("backup?timeout=1.5", null);

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain(SessionStream);

        await harness.Backend.StartAgainAsync();
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();
        (await harness.Backend.BytesAsync(harness.Task.Id, SessionStream)).Should().Equal("{\"pending\":1}\n"u8.ToArray());
    }

    [Theory]
    [InlineData("backup?timeout=soon", "timeout:")]
    [InlineData("restore", "fromTask:")]
    public async Task Bad_request_is_refused_with_a_problem_naming_the_field(string request, string field)
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();

        using var response = await agent.Client.PostAsync(request, null);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain(field);
    }

    [Fact]
    public async Task File_change_triggers_an_upload_without_a_request()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var agent = await harness.StartAgentAsync();
        harness.Append(Session, "{\"watched\":1}\n"u8.ToArray());

        await Eventually.UntilAsync(
            async () => (await harness.Backend.BytesAsync(harness.Task.Id, SessionStream))?.Length == 14,
            "the change to be uploaded by the watcher or the periodic scan");

        // The status board records the acknowledgement just after the backend answers.
        await Eventually.UntilAsync(
            async () =>
            {
                using var status = JsonDocument.Parse(await agent.Client.GetStringAsync("status"));
                var stream = status.RootElement.GetProperty("streams").EnumerateArray().Single();
                return stream.GetProperty("acknowledgedBytes").GetInt64() == 14 && stream.GetProperty("lagBytes").GetInt64() == 0;
            },
            "/status to show the stream acknowledged with no lag");
    }
}

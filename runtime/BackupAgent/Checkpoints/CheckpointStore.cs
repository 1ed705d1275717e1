using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Whim.BackupAgent.Sources;
using Whim.Runtime.Files;

namespace Whim.BackupAgent.Checkpoints;

/// <summary>
/// The acknowledged offsets, kept in memory and persisted as one JSON file replaced atomically
/// (<see cref="AtomicFile"/>) after every acknowledgement, so a SIGKILL loses at most the answer in flight — and the
/// server's idempotent append makes re-sending that answer's bytes harmless.
/// </summary>
internal sealed class CheckpointStore
{
    /// <summary>The file name inside the state folder.</summary>
    public const string FileName = "checkpoints.json";

    private readonly ConcurrentDictionary<string, StreamCheckpoint> _streams = new(StringComparer.Ordinal);
    private readonly Lock _saveLock = new();

    public CheckpointStore(string stateDirectory)
    {
        FilePath = System.IO.Path.Join(stateDirectory, FileName);
        Load();
    }

    /// <summary>Where the checkpoints live.</summary>
    public string FilePath { get; }

    /// <summary>The checkpoint of <paramref name="stream"/>, if any.</summary>
    public StreamCheckpoint? Get(string stream) => _streams.TryGetValue(stream, out var checkpoint) ? checkpoint : null;

    /// <summary>Every checkpoint.</summary>
    public IReadOnlyCollection<StreamCheckpoint> All => [.. _streams.Values];

    /// <summary>Records <paramref name="checkpoint"/> and persists the whole set.</summary>
    public void Set(StreamCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _streams[checkpoint.Stream] = checkpoint;
        Save();
    }

    /// <summary>Forgets <paramref name="stream"/> (it will be uploaded from byte 0) and persists.</summary>
    public void Remove(string stream)
    {
        if (_streams.TryRemove(stream, out _))
        {
            Save();
        }
    }

    private void Save()
    {
        lock (_saveLock)
        {
            var document = new CheckpointDocument
            {
                Version = 1,
                Streams = [.. _streams.Values.OrderBy(c => c.Stream, StringComparer.Ordinal).Select(ToEntry)],
            };
            AtomicFile.WriteJson(FilePath, document, CheckpointJsonContext.Default.CheckpointDocument);
        }
    }

    private void Load()
    {
        if (!File.Exists(FilePath))
        {
            return;
        }

        CheckpointDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), CheckpointJsonContext.Default.CheckpointDocument);
        }
        catch (JsonException)
        {
            // Unreadable state only costs a re-upload: every stream restarts from byte 0 with the truncate header.
            return;
        }

        foreach (var entry in document?.Streams ?? [])
        {
            if (!string.IsNullOrEmpty(entry.Stream) && !string.IsNullOrEmpty(entry.Path) && entry.Acknowledged >= 0)
            {
                _streams[entry.Stream] = new StreamCheckpoint(
                    entry.Stream,
                    entry.Path,
                    entry.Inode == 0 ? null : new FileIdentity(entry.Device, entry.Inode),
                    entry.Acknowledged,
                    entry.Tail);
            }
        }
    }

    private static CheckpointEntry ToEntry(StreamCheckpoint c) => new()
    {
        Stream = c.Stream,
        Path = c.Path,
        Device = c.Identity?.Device ?? 0,
        Inode = c.Identity?.Inode ?? 0,
        Acknowledged = c.Acknowledged,
        Tail = c.TailSha256,
    };
}

internal sealed class CheckpointDocument
{
    public int Version { get; set; }

    public List<CheckpointEntry> Streams { get; set; } = [];
}

internal sealed class CheckpointEntry
{
    public string Stream { get; set; } = string.Empty;

    public string Path { get; set; } = string.Empty;

    public ulong Device { get; set; }

    public ulong Inode { get; set; }

    public long Acknowledged { get; set; }

    public string? Tail { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(CheckpointDocument))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;

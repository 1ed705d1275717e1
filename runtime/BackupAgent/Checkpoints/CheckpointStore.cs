using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Whim.BackupAgent.Sources;
using Whim.Runtime.Files;

namespace Whim.BackupAgent.Checkpoints;

/// <summary>
/// The acknowledged offsets, kept in memory and persisted as one JSON file replaced atomically
/// (<see cref="AtomicFile"/>). Persisting is throttled to once per <see cref="SaveInterval"/> while a stream uploads
/// and forced when it is done: an fsync per 1 MiB chunk stalls on a busy disk, and a checkpoint that lags the server
/// is harmless — after a SIGKILL the agent re-sends from it, the server acknowledges those bytes as duplicates and
/// answers the length it holds. A checkpoint never runs ahead of the server, which is the property that matters.
/// </summary>
internal sealed class CheckpointStore
{
    /// <summary>The file name inside the state folder.</summary>
    public const string FileName = "checkpoints.json";

    private readonly ConcurrentDictionary<string, StreamCheckpoint> _streams = new(StringComparer.Ordinal);
    private readonly Lock _saveLock = new();
    private readonly TimeProvider _time;
    private long _lastSave;
    private int _dirty;

    public CheckpointStore(string stateDirectory, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        FilePath = System.IO.Path.Join(stateDirectory, FileName);
        Load();
    }

    /// <summary>Where the checkpoints live.</summary>
    public string FilePath { get; }

    /// <summary>The checkpoint of <paramref name="stream"/>, if any.</summary>
    public StreamCheckpoint? Get(string stream) => _streams.TryGetValue(stream, out var checkpoint) ? checkpoint : null;

    /// <summary>Every checkpoint.</summary>
    public IReadOnlyCollection<StreamCheckpoint> All => [.. _streams.Values];

    /// <summary>Longest time an acknowledgement stays only in memory while a stream uploads.</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);

    /// <summary>Records <paramref name="checkpoint"/>; persists now when <paramref name="persist"/>, else when due.</summary>
    public void Set(StreamCheckpoint checkpoint, bool persist = true)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _streams[checkpoint.Stream] = checkpoint;
        Volatile.Write(ref _dirty, 1);
        if (persist || _time.GetElapsedTime(Interlocked.Read(ref _lastSave)) >= SaveInterval)
        {
            Save();
        }
    }

    /// <summary>Persists what <see cref="Set"/> left only in memory.</summary>
    public void SaveIfDirty()
    {
        if (Volatile.Read(ref _dirty) == 1)
        {
            Save();
        }
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
            Volatile.Write(ref _dirty, 0);
            Interlocked.Exchange(ref _lastSave, _time.GetTimestamp());
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

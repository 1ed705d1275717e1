using System.Security.Cryptography;
using Whim.BackupAgent.Checkpoints;
using Whim.BackupAgent.Sources;

namespace Whim.BackupAgent.Uploading;

/// <summary>The next request for a stream: nothing, or the bytes <c>[Offset, Offset + Count)</c>, from scratch when <see cref="Truncate"/>.</summary>
internal readonly record struct UploadStep(bool Send, long Offset, int Count, bool Truncate)
{
    public static readonly UploadStep UpToDate = new(false, 0, 0, false);

    public long End => Offset + Count;
}

/// <summary>How the backend answered one upload.</summary>
internal abstract record UploadOutcome
{
    /// <summary>200: the server holds <paramref name="Length"/> bytes (appended or a duplicate).</summary>
    public sealed record Acknowledged(long Length) : UploadOutcome;

    /// <summary>409: the offset was not where the server is; it holds <paramref name="Length"/> bytes.</summary>
    public sealed record Gap(long Length) : UploadOutcome;

    /// <summary>No usable answer (down, 5xx, circuit open, 400); retried later with backoff, nothing dropped.</summary>
    public sealed record Failed(string Error) : UploadOutcome;
}

/// <summary>
/// The per-stream upload state machine, without I/O: from the checkpoint and what the file looks like now it picks
/// the next request, and from the answer it derives the next checkpoint. Truncation (file shorter than acknowledged),
/// rotation (another inode at the path), a rewrite in place (the acknowledged tail changed) and a missing checkpoint all
/// start the stream over at byte 0 with the truncate header, so the backend copy always equals the current file.
/// </summary>
internal static class UploadPlanner
{
    /// <summary>How many acknowledged bytes are hashed to notice a rewrite in place.</summary>
    public const int TailWindow = 4096;

    /// <summary>The next step for a file with <paramref name="identity"/> and <paramref name="length"/>.</summary>
    public static UploadStep Plan(StreamCheckpoint? checkpoint, FileIdentity identity, long length, int chunkBytes)
    {
        if (NeedsRestart(checkpoint, identity, length))
        {
            return new UploadStep(true, 0, (int)Math.Min(length, chunkBytes), Truncate: true);
        }

        var acknowledged = checkpoint!.Acknowledged;
        return length > acknowledged
            ? new UploadStep(true, acknowledged, (int)Math.Min(length - acknowledged, chunkBytes), Truncate: false)
            : UploadStep.UpToDate;
    }

    /// <summary>True when the stream must start over.</summary>
    public static bool NeedsRestart(StreamCheckpoint? checkpoint, FileIdentity identity, long length) =>
        checkpoint?.Identity is not { } known || known != identity || length < checkpoint.Acknowledged;

    /// <summary>Where the bytes read for <paramref name="step"/> begin: up to <see cref="TailWindow"/> acknowledged bytes before it, to check and to hash.</summary>
    public static long ReadStart(UploadStep step) => Math.Max(0, step.Offset - TailWindow);

    /// <summary>
    /// False when the acknowledged bytes just before <paramref name="step"/> (the start of <paramref name="window"/>)
    /// no longer hash to the checkpoint's tail: the file was rewritten in place and must start over.
    /// </summary>
    public static bool TailMatches(StreamCheckpoint? checkpoint, UploadStep step, ReadOnlySpan<byte> window)
    {
        if (step.Truncate || checkpoint?.TailSha256 is not { } expected)
        {
            return true;
        }

        var prefix = (int)(step.Offset - ReadStart(step));
        return prefix <= window.Length && string.Equals(Sha256(window[..prefix]), expected, StringComparison.Ordinal);
    }

    /// <summary>The hash of the last <see cref="TailWindow"/> bytes of <paramref name="window"/>, which ends at the step's end.</summary>
    public static string TailOf(ReadOnlySpan<byte> window) =>
        Sha256(window.Length > TailWindow ? window[^TailWindow..] : window);

    /// <summary>The checkpoint after <paramref name="outcome"/> of <paramref name="step"/>; the old one when nothing changed.</summary>
    public static StreamCheckpoint? Apply(
        StreamCheckpoint? checkpoint,
        SourceFile file,
        FileIdentity identity,
        long localLength,
        UploadStep step,
        string tailAfterStep,
        UploadOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(file);
        return outcome switch
        {
            UploadOutcome.Acknowledged { Length: var held } when held == step.End =>
                new StreamCheckpoint(file.Stream, file.Path, identity, held, tailAfterStep),
            UploadOutcome.Acknowledged { Length: var held } => Resume(file, identity, localLength, held),
            UploadOutcome.Gap { Length: var held } => Resume(file, identity, localLength, held),
            _ => checkpoint,
        };
    }

    // The server holds a length other than the one just sent: continue from it, unless it holds more than the file
    // has, in which case its copy is not this file's and the stream starts over.
    private static StreamCheckpoint Resume(SourceFile file, FileIdentity identity, long localLength, long held) =>
        held < 0 || held > localLength
            ? new StreamCheckpoint(file.Stream, file.Path, null, 0, null)
            : new StreamCheckpoint(file.Stream, file.Path, identity, held, null);

    private static string Sha256(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash);
    }
}

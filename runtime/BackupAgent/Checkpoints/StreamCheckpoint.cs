using Whim.BackupAgent.Sources;

namespace Whim.BackupAgent.Checkpoints;

/// <summary>
/// What the backend has acknowledged for one stream: the file it came from, that file's identity when the bytes were
/// read, how many bytes are held, and a hash of the last acknowledged bytes (to notice a file rewritten in place).
/// A null <see cref="Identity"/> means the stream must start over from byte 0.
/// </summary>
internal sealed record StreamCheckpoint(string Stream, string Path, FileIdentity? Identity, long Acknowledged, string? TailSha256);

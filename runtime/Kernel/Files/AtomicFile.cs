using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Whim.Runtime.Files;

/// <summary>
/// Replaces a file so that a reader sees either the old or the new content, never a mix: write a temporary file in
/// the same folder, fsync it, rename it over the target, then fsync the folder so the rename itself survives a crash.
/// A file that only describes the running processes (a state or status file, rebuilt after any restart) passes
/// <c>durable: false</c>: still atomic for readers, without the two fsyncs (about 1 ms here, on a blocked thread).
/// </summary>
public static partial class AtomicFile
{
    private static long s_counter;

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/>; durably unless <paramref name="durable"/> is false.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, bool durable = true) =>
        WriteCoreAsync(path, content.ToArray(), static (file, bytes, _) => { file.Write(bytes); return ValueTask.CompletedTask; }, useAsync: false, CancellationToken.None, durable)
            .GetAwaiter().GetResult();

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/>.</summary>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        WriteCoreAsync(path, content, static (file, bytes, ct) => file.WriteAsync(bytes, ct), useAsync: true, cancellationToken).AsTask();

    /// <summary>
    /// Atomically replaces <paramref name="path"/> with everything read from <paramref name="source"/> until its end,
    /// copied in small chunks (a download is never held in memory whole). Returns the number of bytes written.
    /// </summary>
    public static async Task<long> WriteAsync(string path, Stream source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        long written = 0;
        await WriteCoreAsync(
            path,
            source,
            async (file, from, ct) =>
            {
                await from.CopyToAsync(file, ct).ConfigureAwait(false);
                written = file.Length;
            },
            useAsync: true,
            cancellationToken).ConfigureAwait(false);
        return written;
    }

    // One path for all: with useAsync false every await below completes synchronously.
    private static async ValueTask WriteCoreAsync<TContent>(
        string path, TContent content, Func<FileStream, TContent, CancellationToken, ValueTask> write, bool useAsync, CancellationToken cancellationToken, bool durable = true)
    {
        var temp = TempPathFor(path);
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: durable);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        if (durable)
        {
            SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }

    /// <summary>Serialises <paramref name="value"/> with a source-generated contract and writes it atomically (durably unless <paramref name="durable"/> is false).</summary>
    public static void WriteJson<T>(string path, T value, JsonTypeInfo<T> typeInfo, bool durable = true)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        Write(path, bytes, durable);
    }

    private static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var n = Interlocked.Increment(ref s_counter);
        return Path.Join(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{n}.tmp");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // .NET has no API to fsync a directory; without it a crash right after rename can lose the new name.
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, ORdOnly | ODirectory | OCloExec);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;
    private const int OCloExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

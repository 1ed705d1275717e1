using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Whim.Control.Images.Config;

namespace Whim.Control.Images.Freshness;

/// <summary>
/// The freshness hash of a repo-managed image: SHA-256 over the canonical JSON of the normalised config, the
/// Dockerfile bytes, and the sorted (path, SHA-256 of content) pairs of the staged files — nothing else of the
/// repository, so editing an unstaged file keeps the hash. Each part is length-prefixed so parts cannot run together.
/// An image is stale when the hash at the branch head differs from the one it was built from.
/// </summary>
public static class FreshnessHash
{
    private static readonly byte[] s_absent = Encoding.ASCII.GetBytes("absent");

    /// <summary>Computes the hash (lower-case hex) of <paramref name="config"/> at a repository revision.</summary>
    public static string Compute(ImageConfig config, IRepositoryFiles repository)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(repository);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, CanonicalJson(config));
        Append(hash, repository.TryRead(config.Dockerfile) ?? s_absent);
        var staged = config.StagedFiles.ToArray();
        Array.Sort(staged, StringComparer.Ordinal);
        foreach (var path in staged)
        {
            Append(hash, Encoding.UTF8.GetBytes(path));
            var content = repository.TryRead(path);
            Append(hash, content is null ? s_absent : SHA256.HashData(content));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The config as JSON with sorted keys, sorted arrays and no whitespace.</summary>
    public static byte[] CanonicalJson(ImageConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            writer.WriteStartObject();
            WriteSortedArray(writer, "buildSecrets", config.BuildSecrets);
            writer.WriteString("context", config.Context);
            writer.WriteString("dockerfile", config.Dockerfile);
            WriteSortedArray(writer, "stagedFiles", config.StagedFiles);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteSortedArray(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        var sorted = values.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        writer.WriteStartArray(name);
        foreach (var value in sorted)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void Append(IncrementalHash hash, ReadOnlySpan<byte> part)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(length, part.Length);
        hash.AppendData(length);
        hash.AppendData(part);
    }
}

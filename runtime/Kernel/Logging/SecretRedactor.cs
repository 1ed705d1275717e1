using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Whim.Runtime.Logging;

/// <summary>
/// Removes secrets from text before it reaches a log: every value registered as a secret (provider keys, tokens
/// read from configuration), and anything shaped like a credential (bearer values, provider key prefixes, Whim
/// MCP tokens, GitHub tokens) even when nobody registered it.
/// </summary>
public sealed partial class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    // Registered values shorter than this are too likely to match ordinary text to be masked by value.
    private const int MinimumRegisteredLength = 6;

    private readonly ConcurrentDictionary<string, byte> _values = new(StringComparer.Ordinal);

    /// <summary>The process-wide redactor the logging pipeline uses.</summary>
    public static SecretRedactor Shared { get; } = new();

    /// <summary>Registers a concrete secret value (for example a configured API key) to be masked wherever it appears.</summary>
    public void Register(string? secret)
    {
        if (!string.IsNullOrEmpty(secret) && secret.Length >= MinimumRegisteredLength)
        {
            _values.TryAdd(secret, 0);
        }
    }

    /// <summary>True when a property or header of this name carries a credential by its name alone.</summary>
    public static bool IsSensitiveName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SensitiveName().IsMatch(name);
    }

    /// <summary>Returns <paramref name="text"/> with every known or credential-shaped secret masked.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return text;
        }

        var result = text;
        foreach (var secret in _values.Keys)
        {
            if (result.Contains(secret, StringComparison.Ordinal))
            {
                result = result.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return CredentialShape().Replace(result, static m =>
            m.Groups["keep"].Success ? m.Groups["keep"].Value + Mask : Mask);
    }

    [GeneratedRegex(
        @"(?<keep>\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=\-]{6,}" +
        @"|(?<keep>whim_mcp_[A-Za-z0-9]+_)[A-Za-z0-9]+" +
        @"|\bsk-(?:ant-|or-|proj-)?[A-Za-z0-9_\-]{12,}" +
        @"|\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}" +
        @"|\bgithub_pat_[A-Za-z0-9_]{20,}" +
        @"|(?<keep>(?:x-api-key|api[_-]?key|access[_-]?token|password|secret)[""']?\s*[:=]\s*[""']?)[^\s""',;&]{4,}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CredentialShape();

    [GeneratedRegex(
        @"(?:^|[_\-.:]|[a-z])(?:api[_\-]?keys?|apikeys?|token|secrets?|passwords?|passwd|authorization|cookies?|credentials?)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SensitiveName();
}

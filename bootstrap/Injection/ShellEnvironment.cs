using System.Text;

namespace Whim.Bootstrap.Injection;

/// <summary>
/// The agent's shell environment: the merged env vars as <c>export KEY='value'</c> lines, and managed blocks (between
/// marker comments, replaced on every run so re-running is idempotent) in <c>~/.bashrc</c> and the login profile.
/// </summary>
internal static class ShellEnvironment
{
    public const string BeginMarker = "# >>> whim managed block >>>";
    public const string EndMarker = "# <<< whim managed block <<<";

    /// <summary>Single-quotes <paramref name="value"/> for POSIX shells: nothing inside is expanded.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The env file's text.</summary>
    public static string EnvFile(IEnumerable<KeyValuePair<string, string>> variables)
    {
        var text = new StringBuilder("# Written by whim bootstrap; regenerated on every start.\n");
        foreach (var (key, value) in variables)
        {
            text.Append("export ").Append(key).Append('=').Append(Quote(value)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Shell lines that source every <c>*.env</c> in <paramref name="envDirectory"/>.</summary>
    public static string SourceEnvFiles(string envDirectory) =>
        $"for __whim_env in {Quote(envDirectory)}/*.env; do [ -r \"$__whim_env\" ] && . \"$__whim_env\"; done; unset __whim_env\n";

    /// <summary>Replaces (or appends) the managed block in <paramref name="existing"/>.</summary>
    public static string WithManagedBlock(string existing, string blockBody)
    {
        var block = BeginMarker + "\n" + blockBody.TrimEnd('\n') + "\n" + EndMarker + "\n";
        var start = existing.IndexOf(BeginMarker, StringComparison.Ordinal);
        var end = existing.IndexOf(EndMarker, StringComparison.Ordinal);
        if (start >= 0 && end > start)
        {
            var after = end + EndMarker.Length;
            if (after < existing.Length && existing[after] == '\n')
            {
                after++;
            }

            return existing[..start] + block + existing[after..];
        }

        if (existing.Length > 0 && !existing.EndsWith('\n'))
        {
            existing += "\n";
        }

        return existing + block;
    }
}

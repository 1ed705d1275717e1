using System.Text;
using System.Text.RegularExpressions;

namespace Whim.Control.Images.Dockerfiles;

/// <summary>
/// Splits Dockerfile text into logical instructions the way BuildKit's front end does: parser directives at the top
/// (<c># escape=`</c>), comment lines dropped (also inside continuations), lines ending in the escape character joined,
/// heredoc bodies (<c>&lt;&lt;EOF</c>, <c>&lt;&lt;-"EOF"</c>) attached to RUN/COPY/ADD. Never throws on any input.
/// </summary>
internal static partial class DockerfileParser
{
    public static ParsedDockerfile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            lines[n] = lines[n].TrimEnd('\r');
        }

        var instructions = new List<DockerfileInstruction>();
        var errors = new List<DockerfileError>();
        var escape = '\\';
        var directivesOpen = true;
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i];
            if (directivesOpen)
            {
                var directive = Directive().Match(line);
                if (directive.Success)
                {
                    if (directive.Groups[1].Value.Equals("escape", StringComparison.OrdinalIgnoreCase))
                    {
                        var value = directive.Groups[2].Value;
                        if (value is "\\" or "`")
                        {
                            escape = value[0];
                        }
                        else
                        {
                            errors.Add(new DockerfileError(i + 1, "the escape directive must be '\\' or '`'"));
                        }
                    }

                    i++;
                    continue;
                }

                directivesOpen = false;
            }

            if (IsBlankOrComment(line))
            {
                i++;
                continue;
            }

            var start = i + 1;
            var joined = new StringBuilder();
            while (true)
            {
                var current = lines[i].TrimEnd();
                i++;
                if (current.Length > 0 && current[^1] == escape)
                {
                    joined.Append(current.AsSpan(0, current.Length - 1));
                    while (i < lines.Length && IsBlankOrComment(lines[i]))
                    {
                        i++;
                    }

                    if (i >= lines.Length)
                    {
                        break;
                    }

                    continue;
                }

                joined.Append(current);
                break;
            }

            var logical = joined.ToString().Trim();
            var split = 0;
            while (split < logical.Length && !char.IsWhiteSpace(logical[split]))
            {
                split++;
            }

            var keyword = logical[..split].ToUpperInvariant();
            var arguments = logical[split..].Trim();
            var heredocs = new List<Heredoc>();
            if (keyword is "RUN" or "COPY" or "ADD" && !arguments.StartsWith('['))
            {
                foreach (Match marker in HeredocMarker().Matches(arguments))
                {
                    var name = marker.Groups[3].Value;
                    var stripTabs = marker.Groups[1].Value == "-";
                    var body = new StringBuilder();
                    var terminated = false;
                    while (i < lines.Length)
                    {
                        var bodyLine = stripTabs ? lines[i].TrimStart('\t') : lines[i];
                        i++;
                        if (bodyLine == name)
                        {
                            terminated = true;
                            break;
                        }

                        body.Append(bodyLine).Append('\n');
                    }

                    if (!terminated)
                    {
                        errors.Add(new DockerfileError(start, $"heredoc <<{name} is not terminated by a line '{name}'"));
                    }

                    heredocs.Add(new Heredoc(name, body.ToString()));
                }
            }

            instructions.Add(new DockerfileInstruction(keyword, arguments, start, heredocs));
        }

        return new ParsedDockerfile(instructions, errors, lines.Length);
    }

    private static bool IsBlankOrComment(string line)
    {
        var trimmed = line.AsSpan().TrimStart();
        return trimmed.Length == 0 || trimmed[0] == '#';
    }

    [GeneratedRegex(@"^#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(\S+)\s*$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"<<(-?)([""']?)([A-Za-z_][A-Za-z0-9_]*)\2")]
    private static partial Regex HeredocMarker();
}

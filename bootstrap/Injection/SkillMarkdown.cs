using System.Text;
using Whim.Bootstrap.Configuration;

namespace Whim.Bootstrap.Injection;

/// <summary>Turns a skill into its <c>SKILL.md</c>: Markdown with YAML front matter that always carries name and description.</summary>
internal static class SkillMarkdown
{
    public static string Render(SkillSpec skill)
    {
        ArgumentNullException.ThrowIfNull(skill);
        var body = (skill.Content ?? skill.Files?.GetValueOrDefault("SKILL.md") ?? "").Replace("\r\n", "\n", StringComparison.Ordinal);
        var frontMatter = new List<string>();
        if (body.StartsWith("---\n", StringComparison.Ordinal) && body.IndexOf("\n---", 3, StringComparison.Ordinal) is var end and > 0)
        {
            frontMatter.AddRange(body[4..end].Split('\n').Where(l => l.Length > 0));
            var after = body.IndexOf('\n', end + 4);
            body = after < 0 ? "" : body[(after + 1)..];
        }

        if (!frontMatter.Any(l => l.StartsWith("name:", StringComparison.Ordinal)))
        {
            frontMatter.Insert(0, "name: " + skill.Name);
        }

        if (!frontMatter.Any(l => l.StartsWith("description:", StringComparison.Ordinal)))
        {
            frontMatter.Insert(1, "description: " + Quote(skill.Description ?? Describe(body, skill.Name!)));
        }

        var text = new StringBuilder("---\n");
        foreach (var line in frontMatter)
        {
            text.Append(line).Append('\n');
        }

        return text.Append("---\n").Append(body.TrimStart('\n')).ToString();
    }

    // The first prose line stands in for a missing description; YAML needs it quoted when it holds ':' or quotes.
    private static string Describe(string body, string name) =>
        body.Split('\n').Select(l => l.Trim().TrimStart('#').Trim()).FirstOrDefault(l => l.Length > 0) is { } line
            ? (line.Length > 200 ? line[..200] : line)
            : "Skill " + name;

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

using Whim.Control.Images.Config;

namespace Whim.Control.Images.Dockerfiles;

/// <summary>
/// Checks a Dockerfile against Whim's image rules and reports every violation with its line:
/// it starts with <c>ARG RUNNER_COMPAT_REF</c>; the final stage is <c>FROM ${RUNNER_COMPAT_REF}</c>; COPY/ADD read only
/// staged files (repo-managed) or nothing local at all (manual: heredocs and <c>COPY --from</c> of earlier stages);
/// secret mounts name a configured build secret. Never throws on any input.
/// </summary>
public static class DockerfileValidator
{
    private static readonly HashSet<string> s_instructions = new(StringComparer.Ordinal)
    {
        "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
        "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    };

    /// <summary>Validates <paramref name="dockerfile"/>; an empty list means it follows the rules.</summary>
    public static IReadOnlyList<DockerfileError> Validate(string dockerfile, DockerfileRules rules)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        ArgumentNullException.ThrowIfNull(rules);
        var parsed = DockerfileParser.Parse(dockerfile);
        var errors = new List<DockerfileError>(parsed.Errors);
        var instructions = parsed.Instructions;
        if (instructions.Count == 0)
        {
            errors.Add(new DockerfileError(1, $"the Dockerfile is empty; it must start with 'ARG {DockerfileRules.RunnerCompatRef}'"));
            return errors;
        }

        var first = instructions[0];
        if (first.Keyword != "ARG" || ArgName(first) != DockerfileRules.RunnerCompatRef)
        {
            errors.Add(new DockerfileError(first.Line, $"the Dockerfile must start with 'ARG {DockerfileRules.RunnerCompatRef}'"));
        }

        var secrets = new HashSet<string>(rules.BuildSecrets, StringComparer.Ordinal) { ImageConfig.GitHubTokenSecret };
        var staged = new HashSet<string>(rules.StagedFiles, StringComparer.Ordinal);
        var stages = new List<string?>();
        DockerfileInstruction? lastFrom = null;
        foreach (var instruction in instructions)
        {
            if (!s_instructions.Contains(instruction.Keyword))
            {
                errors.Add(new DockerfileError(instruction.Line, $"unknown instruction '{Clip(instruction.Keyword)}'"));
                continue;
            }

            if (stages.Count == 0 && instruction.Keyword is not ("ARG" or "FROM"))
            {
                errors.Add(new DockerfileError(instruction.Line, $"{instruction.Keyword} comes before the first FROM; only ARG may"));
                continue;
            }

            switch (instruction.Keyword)
            {
                case "FROM":
                    stages.Add(CheckFrom(instruction, errors));
                    lastFrom = instruction;
                    break;
                case "COPY":
                case "ADD":
                    CheckCopy(instruction, rules, staged, stages, errors);
                    break;
                case "RUN":
                    CheckRun(instruction, secrets, errors);
                    break;
                default:
                    break;
            }
        }

        if (lastFrom is null)
        {
            errors.Add(new DockerfileError(instructions[^1].Line, "there is no FROM instruction; the final stage must be 'FROM ${RUNNER_COMPAT_REF}'"));
        }
        else
        {
            var (_, words) = DockerfileWords.SplitFlags(lastFrom.Arguments);
            var image = words.Count > 0 ? words[0] : string.Empty;
            if (image is not ("${" + DockerfileRules.RunnerCompatRef + "}" or "$" + DockerfileRules.RunnerCompatRef))
            {
                errors.Add(new DockerfileError(lastFrom.Line, "the final stage must be 'FROM ${RUNNER_COMPAT_REF}' (Whim substitutes the runner image)"));
            }
        }

        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return errors;
    }

    private static string? ArgName(DockerfileInstruction instruction)
    {
        var words = instruction.Words;
        if (words.Count == 0)
        {
            return null;
        }

        var eq = words[0].IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? words[0] : words[0][..eq];
    }

    /// <summary>Returns the stage name (lower case) or null.</summary>
    private static string? CheckFrom(DockerfileInstruction instruction, List<DockerfileError> errors)
    {
        var (_, words) = DockerfileWords.SplitFlags(instruction.Arguments);
        if (words.Count == 0)
        {
            errors.Add(new DockerfileError(instruction.Line, "FROM needs an image"));
            return null;
        }

        if (words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase))
        {
            return words[2].ToLowerInvariant();
        }

        if (words.Count != 1)
        {
            errors.Add(new DockerfileError(instruction.Line, "FROM takes 'image [AS name]'"));
        }

        return null;
    }

    private static void CheckCopy(DockerfileInstruction instruction, DockerfileRules rules, HashSet<string> staged, List<string?> stages, List<DockerfileError> errors)
    {
        var keyword = instruction.Keyword;
        var (flags, words) = DockerfileWords.SplitFlags(instruction.Arguments);
        string? from = null;
        foreach (var flag in flags)
        {
            if (flag.Key == "from")
            {
                from = flag.Value;
            }
        }

        if (from is not null)
        {
            if (keyword == "ADD")
            {
                errors.Add(new DockerfileError(instruction.Line, "ADD does not take --from; use COPY --from=<stage>"));
                return;
            }

            CheckCopyFrom(instruction, from, stages, errors);
            return;
        }

        var heredocNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var heredoc in instruction.Heredocs)
        {
            heredocNames.Add(heredoc.Name);
        }

        var sources = new List<string>();
        for (var n = 0; n < words.Count - 1; n++)
        {
            if (!IsHeredocReference(words[n], heredocNames))
            {
                sources.Add(words[n]);
            }
        }

        if (words.Count < 2 && instruction.Heredocs.Count == 0)
        {
            errors.Add(new DockerfileError(instruction.Line, $"{keyword} needs a source and a destination"));
            return;
        }

        foreach (var source in sources)
        {
            if (keyword == "ADD" && IsRemote(source))
            {
                if (rules.Kind == ImageSourceKind.Repository)
                {
                    errors.Add(new DockerfileError(instruction.Line, $"ADD of a URL ('{Clip(source)}') is not allowed in a repo-managed image; stage the file instead"));
                }

                continue;
            }

            if (rules.Kind == ImageSourceKind.Manual)
            {
                errors.Add(new DockerfileError(instruction.Line, $"{keyword} of local file '{Clip(source)}' is not allowed in a manual image (its build context is the Dockerfile alone); use a heredoc or COPY --from=<stage>"));
                continue;
            }

            CheckStaged(instruction, source, rules, staged, errors);
        }
    }

    private static void CheckCopyFrom(DockerfileInstruction instruction, string from, List<string?> stages, List<DockerfileError> errors)
    {
        // stages holds every FROM so far, including the current stage (last); only earlier ones may be copied from.
        var earlier = stages.Count - 1;
        if (int.TryParse(from, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            if (index >= earlier)
            {
                errors.Add(new DockerfileError(instruction.Line, $"COPY --from={index}: there is no earlier build stage with that index"));
            }

            return;
        }

        var name = from.ToLowerInvariant();
        for (var n = 0; n < earlier; n++)
        {
            if (stages[n] == name)
            {
                return;
            }
        }

        errors.Add(new DockerfileError(instruction.Line, $"COPY --from='{Clip(from)}' is not an earlier build stage; only multi-stage copies are allowed"));
    }

    private static void CheckStaged(DockerfileInstruction instruction, string source, DockerfileRules rules, HashSet<string> staged, List<DockerfileError> errors)
    {
        if (source.Contains('$', StringComparison.Ordinal) || source.AsSpan().IndexOfAny('*', '?', '[') >= 0)
        {
            errors.Add(new DockerfileError(instruction.Line, $"{instruction.Keyword} source '{Clip(source)}' must be a literal staged file path (no variables or wildcards)"));
            return;
        }

        var relative = RepoPath.Normalize(source, out var reason);
        var full = relative is null ? null : RepoPath.Normalize(rules.Context == "." ? relative : rules.Context + "/" + relative, out reason);
        if (full is null)
        {
            errors.Add(new DockerfileError(instruction.Line, $"{instruction.Keyword} source '{Clip(source)}' {reason}"));
            return;
        }

        if (!staged.Contains(full))
        {
            errors.Add(new DockerfileError(instruction.Line, $"{instruction.Keyword} source '{Clip(source)}' is not a staged file; list it in image.stagedFiles"));
        }
    }

    private static void CheckRun(DockerfileInstruction instruction, HashSet<string> secrets, List<DockerfileError> errors)
    {
        var (flags, _) = DockerfileWords.SplitFlags(instruction.Arguments);
        foreach (var flag in flags)
        {
            if (flag.Key != "mount")
            {
                continue;
            }

            string? type = null, id = null, target = null;
            foreach (var part in flag.Value.Split(','))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var key = (eq < 0 ? part : part[..eq]).Trim().ToLowerInvariant();
                var value = eq < 0 ? string.Empty : part[(eq + 1)..].Trim();
                switch (key)
                {
                    case "type":
                        type = value;
                        break;
                    case "id":
                        id = value;
                        break;
                    case "target" or "dst" or "destination":
                        target = value;
                        break;
                    default:
                        break;
                }
            }

            if (type != "secret")
            {
                continue;
            }

            // BuildKit defaults the id to the target's file name.
            id ??= target is null ? null : target[(target.LastIndexOf('/') + 1)..];
            if (string.IsNullOrEmpty(id))
            {
                errors.Add(new DockerfileError(instruction.Line, "RUN --mount=type=secret needs id=<secret name>"));
            }
            else if (!secrets.Contains(id))
            {
                errors.Add(new DockerfileError(instruction.Line, $"build secret '{Clip(id)}' is not in image.buildSecrets (GITHUB_TOKEN is always provided)"));
            }
        }
    }

    private static bool IsHeredocReference(string word, HashSet<string> names)
    {
        if (!word.StartsWith("<<", StringComparison.Ordinal))
        {
            return false;
        }

        var name = word.AsSpan(2).TrimStart('-').Trim('"').Trim('\'').ToString();
        return names.Contains(name);
    }

    private static bool IsRemote(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || source.StartsWith("git@", StringComparison.OrdinalIgnoreCase);

    private static string Clip(string value) => value.Length <= 80 ? value : value[..77] + "...";
}

using FluentAssertions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Whim.Control.Images.Dockerfiles;
using Xunit;

namespace Whim.Control.Images.Tests.Dockerfiles;

public sealed class DockerfileValidatorTests
{
    private static readonly DockerfileRules s_repo = new(ImageSourceKind.Repository, ["package.json", "pnpm-lock.yaml", "tools/setup.sh"], ".", ["NPM_TOKEN"]);
    private static readonly DockerfileRules s_manual = DockerfileRules.Manual();

    /// <summary>(case, Dockerfile, rules: "repo"|"manual", expected error line or 0 for valid, message fragment).</summary>
    public static TheoryData<string, string, string, int, string> Cases => new()
    {
        { "minimal valid", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN echo hi\n", "manual", 0, "" },
        { "dollar form", "ARG RUNNER_COMPAT_REF\nFROM $RUNNER_COMPAT_REF\n", "manual", 0, "" },
        { "lower-case instructions", "arg RUNNER_COMPAT_REF\nfrom ${RUNNER_COMPAT_REF}\ncopy package.json /app/\n", "repo", 0, "" },
        { "arg with default", "ARG RUNNER_COMPAT_REF=x\nFROM ${RUNNER_COMPAT_REF}\n", "manual", 0, "" },
        { "directive and comments first", "# syntax=docker/dockerfile:1\n# a comment\n\nARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\n", "manual", 0, "" },
        { "staged copy", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY package.json pnpm-lock.yaml /app/\n", "repo", 0, "" },
        { "staged copy json form", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY --chown=node [\"./package.json\", \"/app/\"]\n", "repo", 0, "" },
        { "unstaged copy", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY src /app/src\n", "repo", 3, "'src' is not a staged file" },
        { "copy whole context", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY . /app\n", "repo", 3, "is not a staged file" },
        { "copy wildcard", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY *.json /app/\n", "repo", 3, "no variables or wildcards" },
        { "copy escaping", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY ../secret /app/\n", "repo", 3, "'..'" },
        { "add url in repo", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nADD https://x.example/a.tgz /a\n", "repo", 3, "URL" },
        { "continuation hides the source on line 4", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY package.json \\\n  # comment inside\n  secret.txt /app/\n", "repo", 3, "'secret.txt'" },
        { "manual local copy", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY package.json /app/\n", "manual", 3, "not allowed in a manual image" },
        { "manual add local", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nADD app.tar /app/\n", "manual", 3, "not allowed in a manual image" },
        { "manual heredoc copy", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY <<EOF /etc/motd\nhello\nCOPY x y\nEOF\nRUN true\n", "manual", 0, "" },
        { "manual heredoc quoted and dashed", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY <<-\"END\" /etc/motd\n\thello\n\tEND\n", "manual", 0, "" },
        { "unterminated heredoc", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN <<EOF\necho hi\n", "manual", 3, "not terminated" },
        { "multi-stage copy from", "ARG RUNNER_COMPAT_REF\nFROM localhost/tools AS build\nRUN make\nFROM ${RUNNER_COMPAT_REF}\nCOPY --from=build /out /opt/out\n", "manual", 0, "" },
        { "copy from stage index", "ARG RUNNER_COMPAT_REF\nFROM localhost/tools\nFROM ${RUNNER_COMPAT_REF}\nCOPY --from=0 /out /opt/out\n", "manual", 0, "" },
        { "copy from later stage", "ARG RUNNER_COMPAT_REF\nFROM localhost/tools AS a\nCOPY --from=b /x /y\nFROM ${RUNNER_COMPAT_REF} AS b\n", "manual", 3, "not an earlier build stage" },
        { "copy from external image", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY --from=alpine:3 /x /y\n", "manual", 3, "not an earlier build stage" },
        { "missing arg", "FROM ${RUNNER_COMPAT_REF}\n", "manual", 1, "must start with 'ARG RUNNER_COMPAT_REF'" },
        { "other arg first", "ARG OTHER\nARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\n", "manual", 1, "must start with" },
        { "final stage not compat", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF} AS base\nFROM ubuntu:24.04\n", "manual", 3, "final stage" },
        { "no from", "ARG RUNNER_COMPAT_REF\n", "manual", 1, "no FROM" },
        { "empty", "\n# only a comment\n", "manual", 1, "empty" },
        { "run before from", "ARG RUNNER_COMPAT_REF\nRUN echo\nFROM ${RUNNER_COMPAT_REF}\n", "manual", 2, "before the first FROM" },
        { "unknown instruction", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nFROB x\n", "manual", 3, "unknown instruction 'FROB'" },
        { "configured secret", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN --mount=type=secret,id=NPM_TOKEN npm ci\n", "repo", 0, "" },
        { "github token always provided", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN --mount=type=secret,id=GITHUB_TOKEN,target=/t git clone\n", "repo", 0, "" },
        { "secret id from target", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN --mount=type=secret,target=/run/secrets/NPM_TOKEN true\n", "repo", 0, "" },
        { "unknown secret", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN --mount=type=cache,target=/c --mount=type=secret,id=AWS_KEY true\n", "repo", 3, "'AWS_KEY' is not in image.buildSecrets" },
        { "secret on continued line", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN echo a && \\\n    echo b\nRUN --mount=type=secret,id=NOPE \\\n  true\n", "repo", 5, "'NOPE'" },
        { "backtick escape directive", "# escape=`\nARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY package.json `\n  other.txt /app/\n", "repo", 4, "'other.txt'" },
        { "crlf line endings", "ARG RUNNER_COMPAT_REF\r\nFROM ${RUNNER_COMPAT_REF}\r\nCOPY secret.txt /x\r\n", "repo", 3, "'secret.txt'" },
        { "context-relative staged", "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY setup.sh /x\n", "repo-tools", 0, "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validates_dockerfile_rules(string name, string dockerfile, string rules, int line, string fragment)
    {
        var chosen = rules switch
        {
            "repo" => s_repo,
            "repo-tools" => s_repo with { Context = "tools" },
            _ => s_manual,
        };

        var errors = DockerfileValidator.Validate(dockerfile, chosen);

        if (line == 0)
        {
            errors.Should().BeEmpty(name);
        }
        else
        {
            errors.Should().Contain(e => e.Line == line && e.Message.Contains(fragment), $"{name}: got {string.Join(" | ", errors)}");
        }
    }

    [Fact]
    public void Errors_render_with_their_line_number()
    {
        var error = DockerfileValidator.Validate("FROM x\n", s_manual)[0];

        error.ToString().Should().StartWith("line 1: ");
    }

    private static readonly string[] s_fragments =
    [
        "ARG RUNNER_COMPAT_REF\n", "FROM ${RUNNER_COMPAT_REF}\n", "FROM a AS b\n", "COPY --from=b /x /y\n", "COPY <<EOF /x\n",
        "EOF\n", "RUN --mount=type=secret,id=X true\n", "\\\n", "`\n", "# escape=`\n", "# c\n", "[\"a\",", "\"", "'", "\r\n",
        "COPY package.json /a\n", "ADD http://x /y\n", "--from=", "<<-", "\t", " ", "\n", "\0", "ü", "$", "*", "..", "RUN ", "copy ",
    ];

    [Property(MaxTest = 300)]
    public Property Never_throws_on_any_text(string? text)
    {
        var errors = DockerfileValidator.Validate(text ?? string.Empty, s_repo);
        return (errors is not null).ToProperty();
    }

    [Property(MaxTest = 500)]
    public Property Never_throws_and_lines_are_in_range_on_dockerfile_like_text()
    {
        var gen = Gen.ListOf(Gen.Elements(s_fragments)).Select(parts => string.Concat(parts));
        return Prop.ForAll(gen.ToArbitrary(), text =>
        {
            var lines = text.Split('\n').Length;
            var manual = DockerfileValidator.Validate(text, s_manual);
            var repo = DockerfileValidator.Validate(text, s_repo);
            return manual.Concat(repo).All(e => e.Line >= 1 && e.Line <= lines && e.Message.Length > 0);
        });
    }

    [Property(MaxTest = 200)]
    public Property A_valid_file_stays_valid_with_comments_and_blank_lines_added(PositiveInt comments)
    {
        var padding = string.Concat(Enumerable.Repeat("# note\n\n", comments.Get % 10));
        var text = "ARG RUNNER_COMPAT_REF\n" + padding + "FROM ${RUNNER_COMPAT_REF}\n" + padding + "COPY package.json /app/\n";
        return (DockerfileValidator.Validate(text, s_repo).Count == 0).ToProperty();
    }
}

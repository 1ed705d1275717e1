namespace Whim.Control.Images.Dockerfiles;

/// <summary>A heredoc attached to an instruction (<c>COPY &lt;&lt;EOF /dest</c>).</summary>
internal sealed record Heredoc(string Name, string Content);

/// <summary>
/// One logical instruction: continuation lines joined, comments dropped, heredoc bodies collected.
/// <see cref="Line"/> is the 1-based physical line where it starts.
/// </summary>
internal sealed record DockerfileInstruction(string Keyword, string Arguments, int Line, IReadOnlyList<Heredoc> Heredocs)
{
    /// <summary>The arguments split into words: a JSON array when written in JSON form, else shell-like words.</summary>
    public IReadOnlyList<string> Words => DockerfileWords.Split(Arguments, out _);

    /// <summary>True when the arguments were written as a JSON array.</summary>
    public bool IsJsonForm
    {
        get
        {
            DockerfileWords.Split(Arguments, out var json);
            return json;
        }
    }
}

/// <summary>The instructions of a Dockerfile and the problems found while splitting it.</summary>
internal sealed record ParsedDockerfile(IReadOnlyList<DockerfileInstruction> Instructions, IReadOnlyList<DockerfileError> Errors, int LineCount);

/// <summary>A rule violation or syntax problem at a 1-based line.</summary>
public sealed record DockerfileError(int Line, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}

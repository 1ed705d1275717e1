using Whim.Control.Images.Config;

namespace Whim.Control.Images.Dockerfiles;

/// <summary>Which workflow a Dockerfile belongs to; it decides what COPY/ADD may read.</summary>
public enum ImageSourceKind
{
    /// <summary>Pasted in settings: the build context is the Dockerfile alone.</summary>
    Manual,

    /// <summary>From the repository's <c>whim.json</c>/<c>package.json</c>: COPY/ADD only of staged files.</summary>
    Repository,
}

/// <summary>What a Dockerfile is checked against.</summary>
/// <param name="Kind">Manual or repo-managed.</param>
/// <param name="StagedFiles">Repo-managed: the files COPY/ADD may read, relative to the repository root.</param>
/// <param name="Context">Repo-managed: the build context folder relative to the repository root.</param>
/// <param name="BuildSecrets">Secret ids RUN --mount=type=secret may use (<c>GITHUB_TOKEN</c> is always added).</param>
public sealed record DockerfileRules(ImageSourceKind Kind, IReadOnlyList<string> StagedFiles, string Context, IReadOnlyList<string> BuildSecrets)
{
    /// <summary>The build argument the final stage must start from; Whim sets it to the runner base image.</summary>
    public const string RunnerCompatRef = "RUNNER_COMPAT_REF";

    /// <summary>Rules for a pasted Dockerfile.</summary>
    public static DockerfileRules Manual(IReadOnlyList<string>? buildSecrets = null) =>
        new(ImageSourceKind.Manual, [], ".", buildSecrets ?? []);

    /// <summary>Rules for a repo-managed configuration.</summary>
    public static DockerfileRules ForRepository(ImageConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(ImageSourceKind.Repository, config.StagedFiles, config.Context, config.BuildSecrets);
    }
}

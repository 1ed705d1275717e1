namespace Whim.Control.Images.Config;

/// <summary>
/// A repo-managed image's configuration (<c>whim.json</c> <c>image</c>, or <c>package.json</c> <c>whim.image</c>),
/// already normalised: paths relative to the repository root with <c>/</c> separators, staged files and secrets
/// sorted and without duplicates.
/// </summary>
/// <param name="Dockerfile">The Dockerfile's path relative to the repository root.</param>
/// <param name="Context">The build context folder relative to the repository root (<c>.</c> for the root).</param>
/// <param name="StagedFiles">The only files COPY/ADD may use, relative to the repository root.</param>
/// <param name="BuildSecrets">Names of workspace environment variables exposed as build secrets.</param>
public sealed record ImageConfig(
    string Dockerfile,
    string Context,
    IReadOnlyList<string> StagedFiles,
    IReadOnlyList<string> BuildSecrets)
{
    /// <summary>The secret the platform always provides to repo-managed builds.</summary>
    public const string GitHubTokenSecret = "GITHUB_TOKEN";

    /// <summary>The configured secrets plus <c>GITHUB_TOKEN</c>.</summary>
    public IReadOnlyList<string> AvailableSecrets =>
        BuildSecrets.Contains(GitHubTokenSecret, StringComparer.Ordinal) ? BuildSecrets : [.. BuildSecrets, GitHubTokenSecret];
}

/// <summary>Where a repo-managed image's configuration came from.</summary>
public enum ImageConfigSource
{
    /// <summary><c>whim.json</c> at the repository root, field <c>image</c>.</summary>
    WhimJson,

    /// <summary><c>package.json</c> at the repository root, field <c>whim.image</c>.</summary>
    PackageJson,
}

/// <summary>One problem with a configuration: the field (a JSON path such as <c>image.stagedFiles[2]</c>) and why.</summary>
public sealed record ConfigError(string File, string Field, string Reason)
{
    public override string ToString() => $"{File}: {Field}: {Reason}";
}

/// <summary>The outcome of reading a repository's image configuration.</summary>
public sealed record ImageConfigResult(ImageConfig? Config, ImageConfigSource? Source, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>True when a configuration was read without errors.</summary>
    public bool IsValid => Config is not null && Errors.Count == 0;
}

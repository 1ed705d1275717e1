using Microsoft.Extensions.Configuration;

namespace Whim.Runtime.Configuration;

/// <summary>
/// Resolves the platform's fixed paths (<c>/tmp/claude_state</c>, <c>/whim/logs</c>, ...) under one configurable
/// root, <c>WHIM_ROOT</c>, so a test can run the whole runtime inside a temporary folder. A path set explicitly in
/// configuration is taken as given.
/// </summary>
public sealed class WhimPaths
{
    /// <summary>The configuration key of the root folder.</summary>
    public const string RootKey = "ROOT";

    private readonly IConfiguration _configuration;

    public WhimPaths(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
        var root = configuration[RootKey];
        Root = string.IsNullOrWhiteSpace(root) ? "/" : Path.GetFullPath(root);
    }

    /// <summary>The folder every default path hangs from (<c>/</c> in a container).</summary>
    public string Root { get; }

    /// <summary>Maps a platform path such as <c>/whim/logs</c> below <see cref="Root"/>.</summary>
    public string UnderRoot(string platformPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(platformPath);
        return Path.GetFullPath(Path.Join(Root, platformPath.TrimStart('/')));
    }

    /// <summary>The configured value of <paramref name="key"/> if set, else <paramref name="platformDefault"/> under the root.</summary>
    public string Resolve(string key, string platformDefault)
    {
        var configured = _configuration[key];
        return string.IsNullOrWhiteSpace(configured) ? UnderRoot(platformDefault) : Path.GetFullPath(configured);
    }

    /// <summary>The log folder (<c>WHIM_LOG_DIR</c>, default <c>/whim/logs</c>).</summary>
    public string LogDirectory => Resolve("LOG_DIR", "/whim/logs");

    /// <summary>The runtime folder for small shared files such as the port table (<c>/whim/run</c>).</summary>
    public string RunDirectory => Resolve("RUN_DIR", "/whim/run");

    /// <summary>The agent user's home (<c>/home/node</c>).</summary>
    public string HomeDirectory => Resolve("HOME_DIR", "/home/node");
}

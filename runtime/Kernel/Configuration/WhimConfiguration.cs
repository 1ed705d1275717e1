using Microsoft.Extensions.Configuration;

namespace Whim.Runtime.Configuration;

/// <summary>
/// Lays out the configuration sources every Whim process reads, later wins: built-in defaults, an optional JSON
/// file (<c>--config</c> or <c>WHIM_CONFIG</c>), environment variables prefixed <c>WHIM_</c> (<c>__</c> for
/// sections), then the command line.
/// </summary>
public static class WhimConfiguration
{
    /// <summary>The environment prefix; <c>WHIM_A__B</c> becomes the key <c>A:B</c>.</summary>
    public const string EnvironmentPrefix = "WHIM_";

    /// <summary>The key naming an optional JSON configuration file.</summary>
    public const string ConfigFileKey = "CONFIG";

    /// <summary>Replaces the sources of <paramref name="configuration"/> with Whim's layering.</summary>
    public static void UseWhimSources(
        IConfigurationManager configuration,
        string[] args,
        IEnumerable<KeyValuePair<string, string?>> defaults)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(args);

        configuration.Sources.Clear();
        configuration.AddInMemoryCollection(defaults);

        // The file's own location comes from the later layers, so read them once without it.
        var locator = new ConfigurationBuilder()
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(args)
            .Build();
        var file = locator[ConfigFileKey];
        if (!string.IsNullOrWhiteSpace(file))
        {
            configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(args);
    }
}

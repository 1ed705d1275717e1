namespace Whim.Bootstrap.Configuration;

/// <summary>Maps the settings UI's permission modes (SPEC §2.6) onto Claude's names, which the agent command line uses.</summary>
internal static class PermissionModes
{
    /// <summary>Claude's name for <paramref name="mode"/>; null for "use preference", unset, or unknown.</summary>
    public static string? Normalise(string? mode) => Key(mode) switch
    {
        "default" => "default",
        "acceptedits" => "acceptEdits",
        "plan" or "planmode" => "plan",
        "bypasspermissions" => "bypassPermissions",
        _ => null,
    };

    /// <summary>True for the UI's "Use (user) preference", which leaves the mode to the agent's own settings.</summary>
    public static bool IsUsePreference(string mode) => Key(mode) is "" or "usepreference" or "useuserpreference";

    private static string? Key(string? mode) => mode?.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
}

using System.Security.Cryptography;
using System.Text;

namespace Whim.Control.Tokens;

/// <summary>
/// Token shape: <c>whim_&lt;kind&gt;_&lt;lookup&gt;_&lt;secret&gt;</c>. The lookup finds the row; only the SHA-256 of the
/// whole token is stored, so a database leak does not leak usable tokens.
/// </summary>
internal static class TokenFormat
{
    public const string Mcp = "mcp";
    public const string Task = "task";

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static (string Token, string Lookup, string Hash) Issue(string kind)
    {
        var lookup = RandomNumberGenerator.GetString(Alphabet, 12);
        var secret = RandomNumberGenerator.GetString(Alphabet, 40);
        var token = $"whim_{kind}_{lookup}_{secret}";
        return (token, lookup, Hash(token));
    }

    /// <summary>Splits a presented token into kind and lookup; false when it does not have the shape.</summary>
    public static bool TryParse(string token, out string kind, out string lookup)
    {
        kind = lookup = string.Empty;
        var parts = token.Split('_');
        if (parts.Length != 4 || parts[0] != "whim" || (parts[1] != Mcp && parts[1] != Task) || parts[2].Length != 12 || parts[3].Length != 40)
        {
            return false;
        }

        kind = parts[1];
        lookup = parts[2];
        return true;
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool HashMatches(string token, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token)), Encoding.ASCII.GetBytes(storedHash));
}

using Microsoft.Extensions.Options;

namespace Whim.Control.Preview;

/// <summary>Preview URLs: <c>&lt;scheme&gt;://&lt;port&gt;-&lt;display id&gt;.&lt;domain&gt;[:public port]/</c> (<c>WHIM_PREVIEW__DOMAIN</c>, ...).</summary>
internal sealed class PreviewOptions
{
    public string Domain { get; set; } = "preview.localhost";

    public string Scheme { get; set; } = "http";

    /// <summary>The port browsers use to reach the router, when not the scheme's default.</summary>
    public int? PublicPort { get; set; }

    public string UrlFor(int port, string displayId) =>
        $"{Scheme}://{port}-{displayId.ToLowerInvariant()}.{Domain}{(PublicPort is { } p ? ":" + p.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}/";
}

internal sealed class PreviewOptionsValidator : IValidateOptions<PreviewOptions>
{
    public ValidateOptionsResult Validate(string? name, PreviewOptions options)
    {
        var errors = new Whim.Runtime.Configuration.OptionsErrors();
        errors.When(Uri.CheckHostName(options.Domain) != UriHostNameType.Dns, "WHIM_PREVIEW__DOMAIN", "must be a DNS name such as preview.example.com");
        errors.When(options.Scheme is not ("http" or "https"), "WHIM_PREVIEW__SCHEME", "must be http or https");
        errors.When(options.PublicPort is < 1 or > 65535, "WHIM_PREVIEW__PUBLICPORT", "must be a port number");
        return errors.ToResult();
    }
}

/// <summary>Reads <c>&lt;port&gt;-&lt;display id&gt;.&lt;domain&gt;</c> out of a Host header.</summary>
internal static class PreviewHost
{
    /// <summary>True when <paramref name="host"/> (without port) is a preview host of <paramref name="domain"/>.</summary>
    public static bool TryParse(string host, string domain, out int port, out string displayId)
    {
        port = 0;
        displayId = string.Empty;
        var suffix = "." + domain;
        if (!host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var label = host[..^suffix.Length];
        var dash = label.IndexOf('-', StringComparison.Ordinal);
        if (label.Contains('.', StringComparison.Ordinal) || dash <= 0 ||
            !int.TryParse(label.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) ||
            port is < 1 or > 65535)
        {
            return false;
        }

        displayId = label[(dash + 1)..].ToUpperInvariant();
        return displayId.Length > 0;
    }
}

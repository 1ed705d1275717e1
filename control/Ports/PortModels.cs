namespace Whim.Control.Ports;

/// <summary>A listening port as the port monitor reports it (contract in COMMON.md).</summary>
internal sealed record PortEntry(int? Port, string? Family, string? Address, int? Pid, string? Process, string? Command, DateTimeOffset? FirstSeen, bool? Ready);

internal sealed record PortTableRequest(IReadOnlyList<PortEntry>? Ports);

internal sealed record PortView(int Port, string Family, string Address, int? Pid, string? Process, string? Command, DateTimeOffset FirstSeen, bool Ready, string PreviewUrl);

internal sealed record PortList(IReadOnlyList<PortView> Ports);

internal static class PortRules
{
    public static readonly string[] Families = ["ipv4", "ipv6"];

    public static void Check(Validation v, string prefix, PortEntry? entry, int? routePort = null)
    {
        if (entry is null)
        {
            v.Add(prefix.Length == 0 ? "body" : prefix, "must be an object");
            return;
        }

        var f = prefix.Length == 0 ? string.Empty : prefix + ".";
        if (entry.Port is null)
        {
            if (routePort is null)
            {
                v.Add(f + "port", "is required");
            }
        }
        else
        {
            v.Range(f + "port", entry.Port, 1, 65535);
            if (routePort is not null && entry.Port != routePort)
            {
                v.Add(f + "port", "differs from the port in the path");
            }
        }

        v.RequiredOneOf(f + "family", entry.Family, Families);
        var address = v.Required(f + "address", entry.Address, 64);
        if (address.Length > 0 && !System.Net.IPAddress.TryParse(address, out _))
        {
            v.Add(f + "address", "is not an IP address");
        }

        v.Range(f + "pid", entry.Pid, 1, int.MaxValue);
        v.Optional(f + "process", entry.Process, 256);
        v.Optional(f + "command", entry.Command, 4096);
    }
}

using System.Diagnostics;

namespace Whim.Bootstrap.Supervision;

/// <summary>Changes a child's inherited environment: a value sets the variable, null removes it.</summary>
internal static class ProcessEnvironment
{
    public static void Apply(ProcessStartInfo info, IReadOnlyDictionary<string, string?> changes)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }
    }
}

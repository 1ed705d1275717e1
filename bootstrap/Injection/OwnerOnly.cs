namespace Whim.Bootstrap.Injection;

/// <summary>Restricts files holding secrets to their owner (0600; folders 0700).</summary>
internal static class OwnerOnly
{
    public static void File(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public static void Directory(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}

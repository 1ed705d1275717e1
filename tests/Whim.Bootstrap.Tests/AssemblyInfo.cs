// The tests drive bash, git and POSIX file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

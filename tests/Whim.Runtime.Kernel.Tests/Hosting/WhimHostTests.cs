using FluentAssertions;
using Whim.Runtime.Hosting;
using Whim.Testing;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.Hosting;

/// <summary>Counts this process's inotify instances, so no other test may build hosts meanwhile.</summary>
[CollectionDefinition(nameof(InotifyCounting), DisableParallelization = true)]
public sealed class InotifyCounting;

[Collection(nameof(InotifyCounting))]
public sealed class WhimHostTests
{
    [Fact]
    public async Task A_web_service_does_not_watch_its_working_directory_for_configuration_changes()
    {
        OperatingSystem.IsLinux().Should().BeTrue("the runtime services run on Linux, where a watch is an inotify instance");
        using var root = new TempRoot();
        var before = InotifyInstances();

        var builder = WhimHost.CreateWebBuilder(new WhimService("host-test", 0), ["--urls", "http://127.0.0.1:0", "--ROOT", root.Path]);
        await using var app = builder.Build();

        InotifyInstances().Should().Be(before, "a recursive watch of the working directory costs an inotify watch per subdirectory at every start");
    }

    private static int InotifyInstances() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(static fd =>
        {
            try
            {
                return fd.LinkTarget == "anon_inode:inotify";
            }
            catch (IOException)
            {
                return false;
            }
        });
}

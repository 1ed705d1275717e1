using System.Diagnostics;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    [Fact]
    public async Task A_request_starts_no_hosting_activity_or_log_scope()
    {
        using var root = new TempRoot();
        var builder = WhimHost.CreateWebBuilder(new WhimService("host-test", 0), ["--urls", "http://127.0.0.1:0", "--ROOT", root.Path]);
        var app = builder.Build();
        app.MapGet("/seen", static () => Results.Text(Activity.Current is null ? "no activity" : "activity " + Activity.Current.OperationName));
        await using var started = await StartedApp.StartAsync(app);

        var factory = app.Services.GetRequiredService<ILoggerFactory>();
        factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical)
            .Should().BeFalse("hosting starts an Activity and a log scope per request whenever this logger is enabled at all");
        (await started.Client.GetStringAsync("seen")).Should().Be("no activity");
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Debug", true)]
    public async Task The_framework_logger_factory_passes_the_levels_serilog_is_configured_for(string? level, bool debugEnabled)
    {
        using var root = new TempRoot();
        string[] args = level is null ? ["--ROOT", root.Path] : ["--ROOT", root.Path, "--LOG_LEVEL", level];
        await using var app = WhimHost.CreateWebBuilder(new WhimService("host-test", 0), args).Build();
        var factory = app.Services.GetRequiredService<ILoggerFactory>();

        factory.CreateLogger("Whim.Test").IsEnabled(LogLevel.Debug).Should().Be(debugEnabled);
        factory.CreateLogger("Whim.Test").IsEnabled(LogLevel.Information).Should().BeTrue();
        factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Information).Should().BeFalse("framework chatter stays below Warning");
        factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning).Should().BeTrue();
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

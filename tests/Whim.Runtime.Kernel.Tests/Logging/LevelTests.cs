using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Whim.Runtime.Configuration;
using Whim.Runtime.Logging;
using Whim.Testing;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.Logging;

public sealed class LevelTests
{
    [Theory]
    [InlineData("Yarp.ReverseProxy.Forwarder.HttpForwarder")]
    [InlineData("Microsoft.AspNetCore.Hosting.Diagnostics")]
    [InlineData("System.Net.Http.HttpClient.ControlApi.LogicalHandler")]
    public void Per_request_framework_chatter_is_dropped_below_warning_but_its_failures_are_kept(string category)
    {
        using var root = new TempRoot();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ROOT"] = root.Path }).Build();
        var logger = WhimLogging.CreateLogger("level-test", configuration, new WhimPaths(configuration));
        var framework = logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, category);
        framework.Information("Proxying to {Target}", "http://localhost:5173/");
        framework.Warning("Forwarding failed: {Error}", "Request");
        logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Whim.LocalProxy.Forwarding.PreviewProxy").Information("Own event");
        logger.Dispose();

        var lines = File.ReadAllLines(Path.Join(root.Path, "whim", "logs", "level-test.log"));
        lines.Should().HaveCount(2);
        lines.Should().ContainSingle(l => l.Contains("Forwarding failed", StringComparison.Ordinal));
        lines.Should().ContainSingle(l => l.Contains("Own event", StringComparison.Ordinal), "the services' own Information events stay");
    }
}

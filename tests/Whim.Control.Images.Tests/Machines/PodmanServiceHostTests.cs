using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Whim.Control.Images.Machines;
using Xunit;

namespace Whim.Control.Images.Tests.Machines;

/// <summary>The provider-owned <c>podman system service</c>: answering before start returns, gone after stop.</summary>
[Collection(ContainerCollection.Name)]
public sealed class PodmanServiceHostTests(ContainerFixture containers)
{
    [Fact]
    public async Task Owned_podman_service_serves_the_provider_and_is_stopped_with_the_host()
    {
        var options = new ImagesOptions
        {
            ContainersConf = containers.ContainersConf,
            MachineDirectory = Path.Join(containers.Root, "owned-machines"),
            PodmanSocket = Path.Join(containers.Root, "owned", "podman.sock"),
            PodmanService = true,
        };
        using var provider = new PodmanMachineProvider(Microsoft.Extensions.Options.Options.Create(options));
        using var host = new PodmanServiceHost(Microsoft.Extensions.Options.Options.Create(options), provider, NullLogger<PodmanServiceHost>.Instance);

        await host.StartAsync(default);
        var pid = host.ProcessId!.Value;
        (await provider.InspectAsync("whim-none-" + Guid.NewGuid().ToString("N"), default)).State.Should().Be(MachineState.Missing);

        await host.StopAsync(default);

        File.Exists(options.PodmanSocket).Should().BeFalse();
        var gone = () => System.Diagnostics.Process.GetProcessById(pid);
        gone.Should().Throw<ArgumentException>("the service process was killed and reaped");
    }
}

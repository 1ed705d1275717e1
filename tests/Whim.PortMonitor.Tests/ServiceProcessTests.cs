using Whim.Testing;
using Xunit;

namespace Whim.PortMonitor.Tests;

public sealed class ServiceProcessTests
{
    [Fact]
    public Task Starts_answers_healthz_and_exits_zero_on_SIGTERM() =>
        ServiceProcess.AssertStartsAndStopsCleanlyAsync("runtime/PortMonitor", "Whim.PortMonitor");

    [Fact]
    public Task Names_a_port_it_cannot_listen_on_and_exits_with_3() =>
        ServiceProcess.AssertNamesAPortItCannotListenOnAsync("runtime/PortMonitor", "Whim.PortMonitor");
}

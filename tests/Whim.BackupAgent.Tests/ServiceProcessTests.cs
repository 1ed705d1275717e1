using Whim.Testing;
using Xunit;

namespace Whim.BackupAgent.Tests;

public sealed class ServiceProcessTests
{
    [Fact]
    public Task Starts_answers_healthz_and_exits_zero_on_SIGTERM() =>
        ServiceProcess.AssertStartsAndStopsCleanlyAsync("runtime/BackupAgent", "Whim.BackupAgent");

    [Fact]
    public Task Names_a_port_it_cannot_listen_on_and_exits_with_3() =>
        ServiceProcess.AssertNamesAPortItCannotListenOnAsync("runtime/BackupAgent", "Whim.BackupAgent");
}

using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests;

public sealed class ServiceProcessTests
{
    [Fact]
    public Task Starts_answers_healthz_and_exits_zero_on_SIGTERM() =>
        ServiceProcess.AssertStartsAndStopsCleanlyAsync("runtime/LocalProxy", "Whim.LocalProxy");
}

using Xunit;

namespace Whim.GenerationProxy.Tests;

/// <summary>A test class with a fresh stand-in and proxy per test.</summary>
public abstract class ProxyTestBase : IAsyncLifetime
{
    protected ProxyHarness H { get; private set; } = null!;

    public async Task InitializeAsync() => H = await ProxyHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();
}

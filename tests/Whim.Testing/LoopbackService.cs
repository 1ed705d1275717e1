namespace Whim.Testing;

/// <summary>Something under test that listens on the loopback: where it is, a client pointed at it, and how it stops.</summary>
public abstract class LoopbackService(Uri baseAddress) : IAsyncDisposable
{
    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; } = baseAddress;

    /// <summary>A client pointed at it.</summary>
    public HttpClient Client { get; } = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops what was started.</summary>
    protected abstract ValueTask StopAsync();
}

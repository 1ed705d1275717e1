namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// Stands in for the response body while a call is forwarded: each chunk is shown to the <see cref="ProxyCall"/>
/// (timing, usage) and passed on unchanged, and for an event stream flushed at once so every event reaches the client
/// as soon as it arrived. Nothing is held back.
/// </summary>
internal sealed class ResponseTee(Stream inner, ProxyCall call) : WriteOnlyStream(inner)
{
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        call.OnResponseBytes(buffer.Span);
        await Inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (call.Streamed)
        {
            await Inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        call.OnResponseBytes(buffer);
        Inner.Write(buffer);
        if (call.Streamed)
        {
            Inner.Flush();
        }
    }
}

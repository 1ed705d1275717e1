namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// Stands in for the response body while a call is forwarded: each chunk is shown to the <see cref="ProxyCall"/>
/// (timing, usage) and passed on unchanged, and for an event stream flushed at once so every event reaches the client
/// as soon as it arrived. Nothing is held back.
/// </summary>
internal sealed class ResponseTee(Stream inner, ProxyCall call) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        call.OnResponseBytes(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (call.Streamed)
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        call.OnResponseBytes(buffer);
        inner.Write(buffer);
        if (call.Streamed)
        {
            inner.Flush();
        }
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

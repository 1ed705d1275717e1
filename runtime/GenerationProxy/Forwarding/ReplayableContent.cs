using System.Buffers;
using System.Net;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// Wraps the streamed request body so a failed call can be sent again. The first send streams the client's body to
/// the upstream as it arrives (never waiting for all of it) and keeps a copy on the side up to a limit; a retry
/// replays the copy. A body larger than the limit is not kept, and its call is only retried when it failed before
/// the body was touched (a connect failure).
/// </summary>
internal sealed class ReplayableContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly int _limit;
    private byte[]? _copy;
    private int _length;
    private bool _overflowed;
    private bool _completed;

    public ReplayableContent(HttpContent inner, int limit)
    {
        _inner = inner;
        _limit = limit;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    /// <summary>True once the first send began reading the client's body.</summary>
    public bool Started { get; private set; }

    /// <summary>True when another send would carry the same bytes.</summary>
    public bool CanReplay => !Started || (_completed && !_overflowed);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (!Started)
        {
            Started = true;
            await _inner.CopyToAsync(new CopyingStream(stream, this), cancellationToken).ConfigureAwait(false);
            _completed = true;
            return;
        }

        if (!CanReplay)
        {
            throw new InvalidOperationException("the request body was larger than the replay buffer and cannot be sent again");
        }

        if (_length > 0)
        {
            await stream.WriteAsync(_copy.AsMemory(0, _length), cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Release();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (_overflowed)
        {
            return;
        }

        if (_length + bytes.Length > _limit)
        {
            _overflowed = true;
            Release();
            return;
        }

        if (_copy is null || _length + bytes.Length > _copy.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_limit, Math.Max(_length + bytes.Length, (_copy?.Length ?? 8192) * 2)));
            _copy?.AsSpan(0, _length).CopyTo(bigger);
            Release();
            _copy = bigger;
        }

        bytes.CopyTo(_copy.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Release()
    {
        if (_copy is not null)
        {
            ArrayPool<byte>.Shared.Return(_copy);
            _copy = null;
        }
    }

    private sealed class CopyingStream(Stream inner, ReplayableContent owner) : WriteOnlyStream(inner)
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            owner.Keep(buffer.Span);
            return Inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            owner.Keep(buffer);
            Inner.Write(buffer);
        }
    }
}

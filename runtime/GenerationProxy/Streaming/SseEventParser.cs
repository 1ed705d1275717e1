namespace Whim.GenerationProxy.Streaming;

/// <summary>Receives the events a <see cref="SseEventParser"/> completes.</summary>
internal interface ISseEventHandler
{
    /// <summary>One dispatched event: its <c>event:</c> type (empty when absent) and its joined <c>data:</c> lines.</summary>
    void OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data);
}

/// <summary>
/// An incremental parser of <c>text/event-stream</c> as the HTML spec defines it: fed the bytes of a response in
/// whatever chunks the network delivers (a line or a CRLF may be split anywhere), it dispatches each complete event.
/// Comment lines (<c>: OPENROUTER PROCESSING</c>), <c>id:</c> and <c>retry:</c> are ignored. Buffers are reused, so a
/// long stream allocates nothing after the first few events; an event larger than <see cref="MaxEventBytes"/> is
/// dropped rather than buffered without bound.
/// </summary>
internal sealed class SseEventParser(ISseEventHandler handler)
{
    /// <summary>The largest line or event data kept; anything longer is skipped.</summary>
    public const int MaxEventBytes = 16 * 1024 * 1024;

    private readonly ISseEventHandler _handler = handler;
    private byte[] _line = new byte[512];
    private int _lineLength;
    private byte[] _data = new byte[2048];
    private int _dataLength;
    private bool _hasData;
    private byte[] _type = new byte[64];
    private int _typeLength;
    private bool _skipLineFeed;
    private bool _lineTooLong;
    private bool _dataTooLong;
    private bool _atStart = true;

    /// <summary>Events dispatched so far.</summary>
    public long EventCount { get; private set; }

    /// <summary>Parses the next chunk of the stream.</summary>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        if (_atStart && !chunk.IsEmpty)
        {
            // A UTF-8 byte-order mark may open the stream; only ever the first bytes, never split in practice.
            _atStart = false;
            if (chunk.StartsWith("\uFEFF"u8))
            {
                chunk = chunk[3..];
            }
        }

        while (!chunk.IsEmpty)
        {
            if (_skipLineFeed)
            {
                _skipLineFeed = false;
                if (chunk[0] == (byte)'\n')
                {
                    chunk = chunk[1..];
                    continue;
                }
            }

            var end = chunk.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                AppendLine(chunk);
                return;
            }

            if (_lineLength == 0 && !_lineTooLong)
            {
                ProcessLine(chunk[..end]);
            }
            else
            {
                AppendLine(chunk[..end]);
                if (!_lineTooLong)
                {
                    ProcessLine(_line.AsSpan(0, _lineLength));
                }
            }

            _lineLength = 0;
            _lineTooLong = false;
            if (chunk[end] == (byte)'\r')
            {
                if (end + 1 < chunk.Length)
                {
                    if (chunk[end + 1] == (byte)'\n')
                    {
                        end++;
                    }
                }
                else
                {
                    _skipLineFeed = true;
                }
            }

            chunk = chunk[(end + 1)..];
        }
    }

    private void AppendLine(ReadOnlySpan<byte> part)
    {
        if (_lineTooLong)
        {
            return;
        }

        if (_lineLength + part.Length > MaxEventBytes)
        {
            _lineTooLong = true;
            return;
        }

        Append(ref _line, ref _lineLength, part);
    }

    private void ProcessLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            Dispatch();
            return;
        }

        if (line[0] == (byte)':')
        {
            return;
        }

        var colon = line.IndexOf((byte)':');
        ReadOnlySpan<byte> field;
        ReadOnlySpan<byte> value;
        if (colon < 0)
        {
            field = line;
            value = [];
        }
        else
        {
            field = line[..colon];
            value = line[(colon + 1)..];
            if (!value.IsEmpty && value[0] == (byte)' ')
            {
                value = value[1..];
            }
        }

        if (field.SequenceEqual("data"u8))
        {
            if (_dataTooLong || _dataLength + value.Length + 1 > MaxEventBytes)
            {
                _dataTooLong = true;
                return;
            }

            if (_hasData)
            {
                Append(ref _data, ref _dataLength, "\n"u8);
            }

            Append(ref _data, ref _dataLength, value);
            _hasData = true;
        }
        else if (field.SequenceEqual("event"u8))
        {
            _typeLength = 0;
            Append(ref _type, ref _typeLength, value);
        }
    }

    private void Dispatch()
    {
        if (_hasData && !_dataTooLong)
        {
            EventCount++;
            _handler.OnEvent(_type.AsSpan(0, _typeLength), _data.AsSpan(0, _dataLength));
        }

        _hasData = false;
        _dataTooLong = false;
        _dataLength = 0;
        _typeLength = 0;
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> part)
    {
        if (length + part.Length > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + part.Length));
        }

        part.CopyTo(buffer.AsSpan(length));
        length += part.Length;
    }
}

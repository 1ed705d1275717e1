namespace Whim.LocalProxy.FastPath;

/// <summary>
/// Follows a chunked body as it streams past (the bytes themselves are passed on unchanged) to find where it ends:
/// chunk sizes in hex with optional extensions, data, CRLFs, the last chunk and its trailer section. Malformed
/// framing throws <see cref="InvalidDataException"/>: the response is cut, as any proxy must.
/// </summary>
internal struct ChunkedBody
{
    private State _state;
    private long _remaining;
    private int _digits;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        TrailerLine,
        TrailerLf,
        FinalLf,
        Done,
    }

    /// <summary>True once the last chunk and the trailer section have gone past.</summary>
    public readonly bool Done => _state == State.Done;

    /// <summary>Starts a new body.</summary>
    public void Reset()
    {
        _state = State.Size;
        _remaining = 0;
        _digits = 0;
    }

    /// <summary>Follows <paramref name="data"/>; returns how many of its bytes belong to the body (fewer only once it is done).</summary>
    public int Advance(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state != State.Done)
        {
            var b = data[i];
            switch (_state)
            {
                case State.Data:
                    var take = (int)Math.Min(_remaining, data.Length - i);
                    _remaining -= take;
                    i += take;
                    if (_remaining == 0)
                    {
                        _state = State.DataCr;
                    }

                    continue;
                case State.Size:
                    var digit = HexValue(b);
                    if (digit >= 0)
                    {
                        if (++_digits > 15)
                        {
                            throw new InvalidDataException("chunk size too large");
                        }

                        _remaining = (_remaining << 4) | (uint)digit;
                    }
                    else if (_digits > 0 && b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else if (_digits > 0 && b == (byte)'\r')
                    {
                        _state = State.SizeLf;
                    }
                    else
                    {
                        throw new InvalidDataException("malformed chunk size");
                    }

                    break;
                case State.Extension:
                    if (b == (byte)'\r')
                    {
                        _state = State.SizeLf;
                    }
                    else if (b == (byte)'\n')
                    {
                        throw new InvalidDataException("bare LF in a chunk extension");
                    }

                    break;
                case State.SizeLf:
                    Expect(b, (byte)'\n');
                    _digits = 0;
                    _state = _remaining == 0 ? State.TrailerStart : State.Data;
                    break;
                case State.DataCr:
                    Expect(b, (byte)'\r');
                    _state = State.DataLf;
                    break;
                case State.DataLf:
                    Expect(b, (byte)'\n');
                    _state = State.Size;
                    break;
                case State.TrailerStart:
                    _state = b == (byte)'\r' ? State.FinalLf : State.TrailerLine;
                    break;
                case State.TrailerLine:
                    if (b == (byte)'\r')
                    {
                        _state = State.TrailerLf;
                    }

                    break;
                case State.TrailerLf:
                    Expect(b, (byte)'\n');
                    _state = State.TrailerStart;
                    break;
                case State.FinalLf:
                    Expect(b, (byte)'\n');
                    _state = State.Done;
                    break;
            }

            i++;
        }

        return i;
    }

    private static void Expect(byte actual, byte expected)
    {
        if (actual != expected)
        {
            throw new InvalidDataException("malformed chunked framing");
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

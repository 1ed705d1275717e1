using System.Text.Json;

namespace Whim.GenerationProxy.GenerationLog;

/// <summary>
/// Picks the id, model and token usage out of a provider's JSON without building a document: a forward-only
/// <see cref="Utf8JsonReader"/> that can be fed a body chunk by chunk (non-streamed answers) or one SSE event's data
/// at a time. It recognises, relative to the root object or to a root <c>message</c>/<c>response</c> object (the
/// wrappers of Anthropic's <c>message_start</c> and the Responses API's events):
/// <c>id</c>, <c>model</c>, <c>usage.{input,output,prompt,completion}_tokens</c>,
/// <c>usage.cache_{read,creation}_input_tokens</c> and <c>usage.{input,prompt}_tokens_details.cached_tokens</c>.
/// </summary>
internal sealed class JsonUsageScanner(GenerationUsage usage)
{
    private const int MaxTrackedDepth = 8;

    private readonly GenerationUsage _usage = usage;
    private readonly Name[] _containers = new Name[MaxTrackedDepth];
    private readonly bool[] _isArray = new bool[MaxTrackedDepth];
    private JsonReaderState _state;
    private byte[] _pending = [];
    private int _pendingLength;
    private int _depth;
    private Name _property;

    private enum Name : byte
    {
        Other,
        InArray,
        Message,
        Response,
        Usage,
        Id,
        Model,
        InputTokens,
        OutputTokens,
        CacheRead,
        CacheCreation,
        Details,
        CachedTokens,
    }

    /// <summary>True once the input turned out not to be JSON; the scanner then ignores the rest.</summary>
    public bool Failed { get; private set; }

    /// <summary>Scans one complete JSON document (an SSE event's data).</summary>
    public static void ScanDocument(ReadOnlySpan<byte> json, GenerationUsage usage)
    {
        var scanner = new JsonUsageScanner(usage);
        scanner.Feed(json, isFinalBlock: true);
    }

    /// <summary>Scans the next part of a document; the last part carries <paramref name="isFinalBlock"/>.</summary>
    public void Feed(ReadOnlySpan<byte> chunk, bool isFinalBlock)
    {
        if (Failed)
        {
            return;
        }

        ReadOnlySpan<byte> input;
        if (_pendingLength > 0)
        {
            if (_pendingLength + chunk.Length > _pending.Length)
            {
                Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + chunk.Length));
            }

            chunk.CopyTo(_pending.AsSpan(_pendingLength));
            input = _pending.AsSpan(0, _pendingLength + chunk.Length);
        }
        else
        {
            input = chunk;
        }

        var reader = new Utf8JsonReader(input, isFinalBlock, _state);
        try
        {
            while (reader.Read())
            {
                Handle(ref reader);
            }
        }
        catch (JsonException)
        {
            Failed = true;
            return;
        }

        _state = reader.CurrentState;
        var rest = input[(int)reader.BytesConsumed..];
        if (rest.Length > _pending.Length)
        {
            var bigger = new byte[Math.Max(rest.Length, _pending.Length * 2)];
            rest.CopyTo(bigger);
            _pending = bigger;
        }
        else
        {
            rest.CopyTo(_pending);
        }

        _pendingLength = rest.Length;
    }

    private void Handle(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                if (_depth < MaxTrackedDepth)
                {
                    _containers[_depth] = _depth == 0 ? Name.Other : ParentIsArray() ? Name.InArray : _property;
                    _isArray[_depth] = reader.TokenType == JsonTokenType.StartArray;
                }

                _depth++;
                _property = Name.Other;
                break;
            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                _depth--;
                _property = Name.Other;
                break;
            case JsonTokenType.PropertyName:
                _property = Classify(ref reader);
                break;
            case JsonTokenType.String:
                OnString(ref reader);
                break;
            case JsonTokenType.Number:
                OnNumber(ref reader);
                break;
            default:
                break;
        }
    }

    private bool ParentIsArray() => _depth > 0 && _depth <= MaxTrackedDepth && _isArray[_depth - 1];

    // The path below the root with a root "message"/"response" wrapper removed: [] for the top level.
    private ReadOnlySpan<Name> RelativePath()
    {
        if (_depth > MaxTrackedDepth || ParentIsArray())
        {
            return [Name.InArray, Name.InArray, Name.InArray, Name.InArray];
        }

        var path = _containers.AsSpan(1, _depth - 1);
        if (!path.IsEmpty && path[0] is Name.Message or Name.Response)
        {
            path = path[1..];
        }

        return path;
    }

    private void OnString(ref Utf8JsonReader reader)
    {
        if (_property is not (Name.Id or Name.Model) || !RelativePath().IsEmpty)
        {
            return;
        }

        if (_property == Name.Id)
        {
            _usage.GenerationId ??= reader.GetString();
        }
        else
        {
            _usage.Model = reader.GetString();
        }
    }

    private void OnNumber(ref Utf8JsonReader reader)
    {
        var path = RelativePath();
        if (path.Length == 0 || path[0] != Name.Usage || !reader.TryGetInt64(out var value))
        {
            return;
        }

        if (path.Length == 1)
        {
            switch (_property)
            {
                case Name.InputTokens:
                    _usage.InputTokens = value;
                    break;
                case Name.OutputTokens:
                    _usage.OutputTokens = value;
                    break;
                case Name.CacheRead:
                    _usage.CacheReadTokens = value;
                    break;
                case Name.CacheCreation:
                    _usage.CacheWriteTokens = value;
                    break;
                default:
                    break;
            }
        }
        else if (path.Length == 2 && path[1] == Name.Details && _property == Name.CachedTokens)
        {
            _usage.CacheReadTokens = value;
        }
    }

    private Name Classify(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return Name.Other;
        }

        var name = reader.ValueSpan;
        return name switch
        {
            _ when name.SequenceEqual("id"u8) => Name.Id,
            _ when name.SequenceEqual("model"u8) => Name.Model,
            _ when name.SequenceEqual("usage"u8) => Name.Usage,
            _ when name.SequenceEqual("message"u8) => Name.Message,
            _ when name.SequenceEqual("response"u8) => Name.Response,
            _ when name.SequenceEqual("input_tokens"u8) || name.SequenceEqual("prompt_tokens"u8) => Name.InputTokens,
            _ when name.SequenceEqual("output_tokens"u8) || name.SequenceEqual("completion_tokens"u8) => Name.OutputTokens,
            _ when name.SequenceEqual("cache_read_input_tokens"u8) => Name.CacheRead,
            _ when name.SequenceEqual("cache_creation_input_tokens"u8) => Name.CacheCreation,
            _ when name.SequenceEqual("input_tokens_details"u8) || name.SequenceEqual("prompt_tokens_details"u8) => Name.Details,
            _ when name.SequenceEqual("cached_tokens"u8) => Name.CachedTokens,
            _ => Name.Other,
        };
    }
}

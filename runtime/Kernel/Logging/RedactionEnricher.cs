using Serilog.Core;
using Serilog.Events;

namespace Whim.Runtime.Logging;

/// <summary>
/// Rewrites every property of a log event before any sink sees it: properties named like credentials become the
/// mask whatever their value, and string values anywhere (nested too) lose registered or credential-shaped secrets.
/// </summary>
public sealed class RedactionEnricher(SecretRedactor redactor) : ILogEventEnricher
{
    private readonly SecretRedactor _redactor = redactor;

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        List<LogEventProperty>? replacements = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            var redacted = SecretRedactor.IsSensitiveName(name) ? new ScalarValue(SecretRedactor.Mask) : Redact(value);
            if (!ReferenceEquals(redacted, value))
            {
                (replacements ??= []).Add(new LogEventProperty(name, redacted));
            }
        }

        if (replacements is not null)
        {
            foreach (var property in replacements)
            {
                logEvent.AddOrUpdateProperty(property);
            }
        }
    }

    private LogEventPropertyValue Redact(LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: string text }:
                var clean = _redactor.Redact(text);
                return ReferenceEquals(clean, text) || clean == text ? value : new ScalarValue(clean);
            case SequenceValue sequence:
                {
                    var changed = false;
                    var items = new LogEventPropertyValue[sequence.Elements.Count];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = Redact(sequence.Elements[i]);
                        changed |= !ReferenceEquals(items[i], sequence.Elements[i]);
                    }

                    return changed ? new SequenceValue(items) : value;
                }

            case StructureValue structure:
                {
                    var changed = false;
                    var props = new LogEventProperty[structure.Properties.Count];
                    for (var i = 0; i < props.Length; i++)
                    {
                        var p = structure.Properties[i];
                        var v = SecretRedactor.IsSensitiveName(p.Name) ? new ScalarValue(SecretRedactor.Mask) : Redact(p.Value);
                        changed |= !ReferenceEquals(v, p.Value);
                        props[i] = ReferenceEquals(v, p.Value) ? p : new LogEventProperty(p.Name, v);
                    }

                    return changed ? new StructureValue(props, structure.TypeTag) : value;
                }

            case DictionaryValue dictionary:
                {
                    var changed = false;
                    var pairs = new List<KeyValuePair<ScalarValue, LogEventPropertyValue>>(dictionary.Elements.Count);
                    foreach (var (key, v) in dictionary.Elements)
                    {
                        var sensitive = key.Value is string k && SecretRedactor.IsSensitiveName(k);
                        var nv = sensitive ? new ScalarValue(SecretRedactor.Mask) : Redact(v);
                        changed |= !ReferenceEquals(nv, v);
                        pairs.Add(new(key, nv));
                    }

                    return changed ? new DictionaryValue(pairs) : value;
                }

            default:
                return value;
        }
    }
}

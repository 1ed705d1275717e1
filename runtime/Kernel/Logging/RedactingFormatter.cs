using Serilog.Events;
using Serilog.Formatting;

namespace Whim.Runtime.Logging;

/// <summary>
/// The last line of defence: renders the event with the inner formatter, then masks secrets in the finished text,
/// which also covers exception messages and stack traces that the enricher cannot see into.
/// </summary>
public sealed class RedactingFormatter(ITextFormatter inner, SecretRedactor redactor) : ITextFormatter
{
    private readonly ITextFormatter _inner = inner;
    private readonly SecretRedactor _redactor = redactor;

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        _inner.Format(logEvent, buffer);
        output.Write(_redactor.Redact(buffer.ToString()));
    }
}

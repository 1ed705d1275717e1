using Serilog.Core;
using Serilog.Events;

namespace Whim.Runtime.Logging;

/// <summary>
/// A credential held in memory. It prints as <c>***</c> everywhere (ToString, logs, exceptions) and hands out its
/// value only through <see cref="Reveal"/>, which call sites use at the one place the value must leave the process.
/// </summary>
public sealed class Secret
{
    private readonly string _value;

    public Secret(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
        SecretRedactor.Shared.Register(value);
    }

    /// <summary>The real value, for the header or file it is meant for.</summary>
    public string Reveal() => _value;

    /// <summary>True when both hold the same value; compares in constant time.</summary>
    public bool Matches(string? candidate)
    {
        if (candidate is null)
        {
            return false;
        }

        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(_value),
            System.Text.Encoding.UTF8.GetBytes(candidate));
    }

    public override string ToString() => SecretRedactor.Mask;
}

/// <summary>Destructures a <see cref="Secret"/> (or anything whose name marks it as one) to the mask.</summary>
public sealed class SecretDestructuringPolicy : IDestructuringPolicy
{
    public bool TryDestructure(object value, ILogEventPropertyValueFactory propertyValueFactory, out LogEventPropertyValue result)
    {
        if (value is Secret)
        {
            result = new ScalarValue(SecretRedactor.Mask);
            return true;
        }

        result = null!;
        return false;
    }
}

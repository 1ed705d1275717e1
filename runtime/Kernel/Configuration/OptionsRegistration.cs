using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Whim.Runtime.Configuration;

/// <summary>Binds an options class to configuration and validates it when the host starts.</summary>
public static class OptionsRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TValidator"/> for <typeparamref name="TOptions"/> and validates at start, so a bad
    /// setting stops the process with a message naming it. Chain <c>.Bind(section)</c> at the call site, where the
    /// configuration binder's source generator sees the concrete type (AOT-safe).
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this IServiceCollection services)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services.AddOptions<TOptions>().ValidateOnStart();
    }
}

/// <summary>Collects every problem of one options object, each naming its setting, instead of failing on the first.</summary>
public sealed class OptionsErrors
{
    private readonly List<string> _errors = [];

    /// <summary>Records that <paramref name="setting"/> is wrong and why.</summary>
    public void Add(string setting, string reason) => _errors.Add($"{setting}: {reason}");

    /// <summary>Adds an error when <paramref name="failed"/> holds.</summary>
    public void When(bool failed, string setting, string reason)
    {
        if (failed)
        {
            Add(setting, reason);
        }
    }

    /// <summary>The options result: success when nothing was recorded.</summary>
    public ValidateOptionsResult ToResult() =>
        _errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_errors);
}

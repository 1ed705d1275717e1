using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Whim.Runtime.Configuration;

namespace Whim.Runtime.ControlApi;

/// <summary>Registers the control-API client.</summary>
public static class ControlApiRegistration
{
    /// <summary>Adds <see cref="ControlApiClient"/>, its validated options (from the configuration root) and its shared pipeline.</summary>
    public static IServiceCollection AddControlApiClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ControlApiOptions, ControlApiOptionsValidator>().Bind(configuration);
        services.AddSingleton<ControlApiPipeline>();
        services.AddHttpClient<ControlApiClient>();
        return services;
    }
}

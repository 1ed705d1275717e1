using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Whim.GenerationProxy.Diagnostics;
using Whim.GenerationProxy.Forwarding;
using Whim.GenerationProxy.GenerationLog;
using Whim.GenerationProxy.IdleTracking;
using Whim.GenerationProxy.Providers;
using Whim.Runtime.Configuration;
using Whim.Runtime.Hosting;
using Whim.Runtime.Metrics;

namespace Whim.GenerationProxy;

/// <summary>The proxy's one registration and one endpoint mapping, shared by the host and the tests.</summary>
internal static class GenerationProxyRegistration
{
    public static IServiceCollection AddGenerationProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<GenerationProxyOptions, GenerationProxyOptionsValidator>().Bind(configuration);
        services.AddHttpForwarder();
        services.AddSingleton<UpstreamInvoker>();
        services.AddSingleton<ProviderTransformer>();
        services.AddSingleton<ProxyMetrics>();
        services.AddSingleton<ProxyEndpoint>();
        services.AddSingleton(sp => new AgentStateTracker(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<GenerationProxyOptions>>().Value.Proxy.IdleDebounce));
        services.AddSingleton(sp => new GenerationLogWriter(
            Path.Join(sp.GetRequiredService<WhimPaths>().LogDirectory, "generations.jsonl"),
            sp.GetRequiredService<ILogger<GenerationLogWriter>>()));
        services.AddHostedService(sp => sp.GetRequiredService<GenerationLogWriter>());
        services.AddSingleton(sp => new StateFileWriter(
            sp.GetRequiredService<AgentStateTracker>(),
            sp.GetRequiredService<WhimPaths>().Resolve("STATE_FILE", "/tmp/claude_state"),
            sp.GetRequiredService<ILogger<StateFileWriter>>()));
        services.AddHostedService(sp => sp.GetRequiredService<StateFileWriter>());
        services.AddReadinessCheck<ProviderCredentialsCheck>("providers");

        // YARP logs two lines per forwarded call at Information; on this path that is noise and cost.
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Yarp", LogLevel.Warning));

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GenerationProxyOptions>>((kestrel, proxy) =>
        {
            kestrel.Limits.MaxRequestBodySize = proxy.Value.Proxy.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<GenerationProxyOptions>>((host, proxy) =>
            host.ShutdownTimeout = proxy.Value.Proxy.DrainTimeout);
        return services;
    }

    public static WebApplication MapGenerationProxy(this WebApplication app)
    {
        app.MapGet("/whim/state", StateEndpoints.Get);
        app.MapGet("/whim/state/stream", StateEndpoints.StreamAsync);
        // The exporter must listen before the first call, or that call's measurements are lost.
        _ = app.Services.GetRequiredService<PrometheusMetrics>();
        var proxy = app.Services.GetRequiredService<ProxyEndpoint>();
        app.MapFallback(proxy.HandleAsync);
        return app;
    }
}

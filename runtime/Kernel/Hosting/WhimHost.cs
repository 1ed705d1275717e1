using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;
using Whim.Runtime.Configuration;
using Whim.Runtime.Logging;
using Whim.Runtime.Metrics;

namespace Whim.Runtime.Hosting;

/// <summary>
/// The hosting defaults of every runtime process: Whim's configuration layering, Serilog compact JSON with
/// redaction, <see cref="WhimPaths"/>, <see cref="TimeProvider"/>, metrics, health checks, and the
/// <c>/healthz</c> <c>/readyz</c> <c>/metrics</c> endpoints with correlation ids.
/// </summary>
public static partial class WhimHost
{
    /// <summary>Health checks with this tag decide <c>/readyz</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Creates a slim web application builder for <paramref name="service"/>.</summary>
    public static WebApplicationBuilder CreateWebBuilder(
        WhimService service,
        string[] args,
        IEnumerable<KeyValuePair<string, string?>>? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        // The slim builder's own appsettings.json source would reload on change, which starts a recursive file watcher
        // on the content root (the working directory): an inotify watch on every subdirectory at start, ~1,000 in a
        // repository checkout, a fifth of a service's start-up CPU. Whim replaces those sources (WhimConfiguration), so
        // the builder's host configuration is told not to watch; the services' own configuration never sees this key.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"] });
        var all = new List<KeyValuePair<string, string?>> { new("urls", service.DefaultUrls) };
        if (defaults is not null)
        {
            all.AddRange(defaults);
        }

        WhimConfiguration.UseWhimSources(builder.Configuration, args, all);
        builder.AddWhimDefaults(service);
        return builder;
    }

    /// <summary>Creates a plain host builder (no HTTP) for <paramref name="service"/>.</summary>
    public static HostApplicationBuilder CreateBuilder(
        WhimService service,
        string[] args,
        IEnumerable<KeyValuePair<string, string?>>? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
        WhimConfiguration.UseWhimSources(builder.Configuration, args, defaults ?? []);
        builder.AddWhimDefaults(service);
        return builder;
    }

    /// <summary>Registers logging, paths, time, metrics and health checks.</summary>
    public static void AddWhimDefaults(this IHostApplicationBuilder builder, WhimService service)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(service);

        var paths = new WhimPaths(builder.Configuration);
        builder.Services.AddSingleton(paths);
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(SecretRedactor.Shared);
        builder.Services.AddSingleton<PrometheusMetrics>();
        builder.Services.AddHealthChecks();

        // Serilog as a provider of the framework's logger factory, not as the factory itself (Services.AddSerilog): only
        // the framework's factory applies filter rules. AddSerilog passes every level to Serilog, whose own levels
        // (WhimLogging) decide, except for the one category filtered below.
        // Hosting's per-request diagnostics start an Activity and a log scope for every request whenever its logger is
        // enabled at any level, even Critical; its only events are the Information "request starting/finished" pair
        // that the Serilog overrides drop anyway. Off at the source, a request allocates neither (LocalProxy: about a
        // quarter of what a forwarded request allocated). The rule names the provider because AddSerilog's own rule
        // does, and a provider's rule wins over any rule without one.
        builder.Logging.ClearProviders();
        var logger = WhimLogging.CreateLogger(service.Name, builder.Configuration, paths, service.LogToStandardError);
        builder.Logging.AddSerilog(logger, dispose: true);
        builder.Logging.AddFilter<SerilogLoggerProvider>("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
    }

    /// <summary>Exit code of a service whose settings are invalid.</summary>
    public const int InvalidSettingsExitCode = 2;

    /// <summary>Exit code of a service that cannot listen on its address (another socket holds the port, or no permission).</summary>
    public const int CannotListenExitCode = 3;

    /// <summary>
    /// Runs a service until it is stopped (exit code 0). A start-up failure the operator can act on ends the process
    /// with one line naming it, on standard error and in the service log, and a code of its own, instead of an
    /// unhandled exception (SIGABRT, exit code 134, a stack trace and possibly a core dump): invalid settings
    /// (<see cref="InvalidSettingsExitCode"/>, every wrong setting named) or an address it cannot listen on
    /// (<see cref="CannotListenExitCode"/>). <paramref name="build"/> runs inside, since building resolves options too.
    /// </summary>
    public static async Task<int> RunServiceAsync(WhimService service, Func<WebApplication> build, Action<WebApplication>? beforeRun = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(build);
        WebApplication? app = null;
        int code;
        string reason;
        try
        {
            app = build();
            beforeRun?.Invoke(app);
            await app.RunAsync();
            return 0;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            (code, reason) = (InvalidSettingsExitCode, "invalid settings: " + e.Message);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException)
        {
            (code, reason) = (CannotListenExitCode, "cannot listen: " + e.Message);
        }

        await Console.Error.WriteLineAsync($"{service.Name}: {reason}");
        if (app is not null)
        {
            Log.StartFailed(app.Logger, reason);
            await app.DisposeAsync();
        }

        return code;
    }

    /// <summary>Adds correlation ids and maps <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.</summary>
    public static WebApplication UseWhimDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<CorrelationMiddleware>();

        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = static _ => false,
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = static r => r.Tags.Contains(ReadyTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        app.MapGet("/metrics", static (PrometheusMetrics metrics) =>
            Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        return app;
    }

    /// <summary>Registers a readiness check: <c>/readyz</c> answers 503 with its description until it is healthy.</summary>
    public static IHealthChecksBuilder AddReadinessCheck<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] T>(this IServiceCollection services, string name)
        where T : class, IHealthCheck
    {
        services.AddSingleton<T>();
        return services.AddHealthChecks().Add(new HealthCheckRegistration(
            name, static sp => sp.GetRequiredService<T>(), HealthStatus.Unhealthy, [ReadyTag]));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ServiceStartFailed", Level = LogLevel.Critical, Message = "Could not start: {Reason}")]
        public static partial void StartFailed(Microsoft.Extensions.Logging.ILogger logger, string reason);
    }
}

using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Whim.Runtime.Configuration;

namespace Whim.Runtime.Logging;

/// <summary>
/// Builds the Serilog pipeline every Whim process uses: one compact JSON event per line to stdout (stderr for
/// processes whose stdout carries a protocol) and to <c>&lt;log dir&gt;/&lt;service&gt;.log</c>, secrets masked by
/// the enricher and again by the formatter.
/// </summary>
public static class WhimLogging
{
    /// <summary>Configuration key of the minimum level (<c>WHIM_LOG_LEVEL</c>).</summary>
    public const string LevelKey = "LOG_LEVEL";

    /// <summary>Creates the logger for <paramref name="service"/>.</summary>
    public static Logger CreateLogger(string service, IConfiguration configuration, WhimPaths paths, bool consoleIsStderr = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(paths);

        var level = Enum.TryParse<LogEventLevel>(configuration[LevelKey], ignoreCase: true, out var parsed)
            ? parsed
            : LogEventLevel.Information;
        var formatter = new RedactingFormatter(new CompactJsonFormatter(), SecretRedactor.Shared);

        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
            .MinimumLevel.Override("Polly", LogEventLevel.Warning)
            // YARP logs two Information events per forwarded request ("Proxying to", "Received response"): per-request
            // noise that costs the local proxy a large share of its throughput. Failures still log at Warning.
            .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
            .Destructure.With<SecretDestructuringPolicy>()
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Service", service)
            .Enrich.With(new RedactionEnricher(SecretRedactor.Shared))
            .WriteTo.Console(formatter, standardErrorFromLevel: consoleIsStderr ? LogEventLevel.Verbose : null);

        var directory = paths.LogDirectory;
        if (CanWrite(directory))
        {
            logger = logger.WriteTo.File(formatter, Path.Join(directory, service + ".log"), shared: true, flushToDiskInterval: TimeSpan.FromSeconds(1));
        }

        return logger.CreateLogger();
    }

    private static bool CanWrite(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

using System.Net;
using Microsoft.Extensions.Options;
using Whim.Control.Tasks;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.Control.Preview;

/// <summary>
/// The preview router: a request whose Host is <c>&lt;port&gt;-&lt;display id&gt;.&lt;preview domain&gt;</c> is
/// forwarded (YARP, streaming, WebSocket upgrades included) to the task's LocalProxy with <c>X-Whim-Port</c> naming
/// the dev server's port. Any other host falls through to the API.
/// </summary>
internal sealed partial class PreviewRouter(RequestDelegate next, IHttpForwarder forwarder, TaskStore tasks, IOptions<PreviewOptions> options, ILogger<PreviewRouter> logger) : IDisposable
{
    public const string PortHeader = "X-Whim-Port";

    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        EnableMultipleHttp2Connections = true,
    });

    public async Task InvokeAsync(HttpContext context)
    {
        if (!PreviewHost.TryParse(context.Request.Host.Host, options.Value.Domain, out var port, out var displayId))
        {
            await next(context);
            return;
        }

        var task = await tasks.GetByDisplayIdAsync(displayId, context.RequestAborted);
        if (task?.Machine.LocalProxy is not { } destination || task.View.Status != TaskRules.Active)
        {
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No preview.", detail: "No running task serves this preview host.").ExecuteAsync(context);
            return;
        }

        context.Request.Headers[PortHeader] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var error = await forwarder.SendAsync(context, destination.ToString(), _client, ForwarderRequestConfig.Empty, HttpTransformer.Default);
        if (error != ForwarderError.None)
        {
            Log.ForwardFailed(logger, displayId, port, error.ToString());
        }
    }

    public void Dispose() => _client.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, EventName = "PreviewForwardFailed", Level = LogLevel.Warning, Message = "Preview of task {Task} port {Port} failed: {Error}")]
        public static partial void ForwardFailed(ILogger logger, string task, int port, string error);
    }
}

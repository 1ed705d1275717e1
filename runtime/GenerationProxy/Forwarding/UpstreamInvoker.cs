using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// The one HTTP client toward the providers and the per-call forwarding settings. No overall timeout anywhere: a
/// model may think for minutes before its first byte, so the only limit is YARP's activity timeout, set to the
/// configured silence limit (the 100 s defaults of YARP and HttpClient would cut such a stream). HTTP/2 pings keep
/// a silent connection known to be alive. Answers are passed on as encoded by the upstream (no decompression).
/// </summary>
internal sealed class UpstreamInvoker : IDisposable
{
    public UpstreamInvoker(IOptions<GenerationProxyOptions> options, TimeProvider time)
    {
        var tuning = options.Value.Proxy;
        var sockets = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = tuning.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        Invoker = new HttpMessageInvoker(new RetryBeforeFirstByteHandler(tuning, time) { InnerHandler = sockets }, disposeHandler: true);
        RequestConfig = new ForwarderRequestConfig { ActivityTimeout = tuning.SilenceLimit };
    }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public void Dispose() => Invoker.Dispose();
}

using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Whim.GenerationProxy.Providers;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// Rewrites a forwarded call: YARP's defaults (hop-by-hop headers dropped, provider headers such as
/// <c>anthropic-version</c>/<c>anthropic-beta</c> kept), then the agent's placeholder key out and the real one in, in
/// the header the provider expects. <c>Accept-Encoding</c> is removed so the answer arrives as plain bytes the
/// usage reader can parse; the hop to the agent is loopback, compression there buys nothing.
/// </summary>
internal sealed class ProviderTransformer(IOptions<GenerationProxyOptions> options) : HttpTransformer
{
    private readonly ProvidersOptions _providers = options.Value.Providers;

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        var call = httpContext.Features.Get<ProxyCall>()!;
        proxyRequest.Options.Set(RetryBeforeFirstByteHandler.CallKey, call);
        var headers = proxyRequest.Headers;
        headers.Remove("x-api-key");
        headers.Remove("api-key");
        headers.Authorization = null;
        headers.AcceptEncoding.Clear();

        var provider = _providers.For(call.Route.Provider);
        var key = provider.ApiKey!;
        if (call.Route.Provider == ProviderKind.Anthropic && !UsesBearer(provider))
        {
            headers.TryAddWithoutValidation("x-api-key", key);
        }
        else
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null)
        {
            httpContext.Features.Get<ProxyCall>()!.OnResponseHeaders(proxyResponse);
        }

        return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
    }

    private static bool UsesBearer(ProviderOptions provider) =>
        string.Equals(provider.AuthScheme, "bearer", StringComparison.OrdinalIgnoreCase)
        || (string.IsNullOrEmpty(provider.AuthScheme) && provider.ApiKey!.StartsWith("sk-ant-oat", StringComparison.Ordinal));
}

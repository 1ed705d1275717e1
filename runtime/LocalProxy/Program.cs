using Microsoft.Extensions.Options;
using Whim.LocalProxy;
using Whim.Runtime.Hosting;

return await WhimHost.RunServiceAsync(LocalProxyApp.Service, () => LocalProxyApp.Build(args), static app =>
{
    if (app.Services.GetRequiredService<IOptions<LocalProxyOptions>>().Value.InlineIo)
    {
        // Read once by the socket engine when the first socket operation starts, which is after this line: Kestrel
        // binds in RunAsync. Only the process itself sets it (tests build the app in their own process).
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
    }
});

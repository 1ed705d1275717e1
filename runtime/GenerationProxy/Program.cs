using Whim.GenerationProxy;
using Whim.Runtime.Hosting;

return await WhimHost.RunServiceAsync(GenerationProxyApp.Service, () => GenerationProxyApp.Build(args));

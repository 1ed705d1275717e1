using Whim.PortMonitor;
using Whim.Runtime.Hosting;

return await WhimHost.RunServiceAsync(PortMonitorApp.Service, () => PortMonitorApp.Build(args));

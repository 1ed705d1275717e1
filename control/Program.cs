using Whim.Control;
using Whim.Runtime.Hosting;

return await WhimHost.RunServiceAsync(ControlApp.Service, () => ControlApp.Build(args));

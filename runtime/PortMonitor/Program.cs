using Whim.PortMonitor;

var app = PortMonitorApp.Build(args);
await app.RunAsync();

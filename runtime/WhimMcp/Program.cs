using Microsoft.Extensions.Hosting;
using Whim.WhimMcp;

var host = WhimMcpApp.Build(args);
await host.RunAsync();

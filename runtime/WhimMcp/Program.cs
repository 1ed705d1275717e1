using Whim.WhimMcp;

await using var server = WhimMcpApp.Build(args);
await server.RunAsync();

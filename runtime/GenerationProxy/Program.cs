using Whim.GenerationProxy;

var app = GenerationProxyApp.Build(args);
await app.RunAsync();

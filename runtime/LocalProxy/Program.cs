using Whim.LocalProxy;

var app = LocalProxyApp.Build(args);
await app.RunAsync();

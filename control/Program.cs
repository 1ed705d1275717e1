using Whim.Control;

var app = ControlApp.Build(args);
await app.RunAsync();

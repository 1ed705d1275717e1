using Whim.BackupAgent;

var app = BackupAgentApp.Build(args);
await app.RunAsync();

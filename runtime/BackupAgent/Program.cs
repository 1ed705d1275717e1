using Whim.BackupAgent;
using Whim.BackupAgent.Restore;

if (args is [RestoreCommand.Name, .. var rest])
{
    return await RestoreCommand.RunAsync(rest);
}

var app = BackupAgentApp.Build(args);
await app.RunAsync();
return 0;

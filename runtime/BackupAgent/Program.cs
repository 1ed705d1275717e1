using Whim.BackupAgent.Restore;
using Whim.BackupAgent;
using Whim.Runtime.Hosting;

if (args is [RestoreCommand.Name, .. var rest])
{
    return await RestoreCommand.RunAsync(rest);
}

return await WhimHost.RunServiceAsync(BackupAgentApp.Service, () => BackupAgentApp.Build(args));

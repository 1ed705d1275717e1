using Whim.Bootstrap;

return await BootstrapCli.RunAsync(args);

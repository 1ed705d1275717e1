using Microsoft.Extensions.Options;
using Whim.WhimMcp;

WhimMcpServer server;
try
{
    server = WhimMcpApp.Build(args);
}
catch (OptionsValidationException e)
{
    // Stdout is the protocol: the reason goes to stderr, where MCP clients show a server's start-up failure.
    await Console.Error.WriteLineAsync($"whim-mcp: invalid settings: {e.Message}");
    return 2;
}

await using (server)
{
    await server.RunAsync();
}

return 0;

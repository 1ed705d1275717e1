namespace Whim.Runtime.Hosting;

/// <summary>Who a runtime process is: its log name and where it listens unless <c>--urls</c> says otherwise.</summary>
/// <param name="Name">Short name used in logs and file names, e.g. <c>generation-proxy</c>.</param>
/// <param name="DefaultPort">The platform port (3001, 8080, 8081); 0 for processes without HTTP.</param>
/// <param name="ListenOnAllInterfaces">True for the one service the router reaches from outside (LocalProxy).</param>
/// <param name="LogToStandardError">True when stdout carries a protocol (the stdio MCP server).</param>
public sealed record WhimService(string Name, int DefaultPort, bool ListenOnAllInterfaces = false, bool LogToStandardError = false)
{
    /// <summary>The default <c>urls</c> value.</summary>
    public string DefaultUrls => ListenOnAllInterfaces ? $"http://0.0.0.0:{DefaultPort}" : $"http://127.0.0.1:{DefaultPort}";
}

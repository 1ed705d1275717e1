namespace Whim.PortMonitor.Scanning;

/// <summary>The process that holds a socket: its pid, its name (<c>comm</c>) and the command a person recognises.</summary>
/// <param name="Pid">The owning process.</param>
/// <param name="Process">Its name (<c>comm</c>).</param>
/// <param name="Command">The command a person recognises.</param>
/// <param name="InScope">False when an owner-pid root is configured and this process is not below it.</param>
internal sealed record SocketOwner(int Pid, string Process, string Command, bool InScope);

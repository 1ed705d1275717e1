using System.CommandLine;

namespace Whim.Bootstrap.Git;

/// <summary>
/// <c>git-credential get</c>: git's credential-helper protocol. Reads the token file at use time and answers with it, so
/// the token lives only in its own 0600 file; <c>store</c> and <c>erase</c> are ignored.
/// </summary>
internal sealed class GitCredentialCommand : Command
{
    private readonly Option<string> _tokenFile = new("--token-file") { Description = "The file holding the token.", Required = true };
    private readonly Argument<string> _operation = new("operation") { Description = "get, store or erase (git passes it)." };

    public GitCredentialCommand()
        : base("git-credential", "Git credential helper: prints the task's git token (configured by `start`).")
    {
        Options.Add(_tokenFile);
        Arguments.Add(_operation);
        SetAction(async (parse, cancellationToken) =>
        {
            // Git writes the request as key=value lines ending with a blank line; read it so git does not see a broken pipe.
            while (await Console.In.ReadLineAsync(cancellationToken) is { Length: > 0 })
            {
            }

            if (parse.GetValue(_operation) != "get")
            {
                return ExitCodes.Success;
            }

            var path = parse.GetValue(_tokenFile)!;
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"whim git-credential: token file {path} is missing");
                return ExitCodes.Failure;
            }

            var token = (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
            await Console.Out.WriteAsync($"username=x-access-token\npassword={token}\n\n");
            return ExitCodes.Success;
        });
    }
}

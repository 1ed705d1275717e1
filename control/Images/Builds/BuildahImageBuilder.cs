using Microsoft.Extensions.Options;
using Whim.Control.Images.Machines;
using Whim.Runtime.Logging;

namespace Whim.Control.Images.Builds;

/// <summary>What to build.</summary>
/// <param name="Tag">The image reference to produce.</param>
/// <param name="ContextDirectory">The build context folder.</param>
/// <param name="DockerfilePath">The Dockerfile (absolute path).</param>
/// <param name="Secrets">Build secrets by id; mounted with <c>--secret</c>, never passed as arguments or env.</param>
public sealed record BuildRequest(string Tag, string ContextDirectory, string DockerfilePath, IReadOnlyDictionary<string, Secret> Secrets);

/// <summary>Builds images and checks that they run the Whim runtime.</summary>
public interface IImageBuilder
{
    /// <summary>Builds; every log line goes to <paramref name="log"/> (secret values masked). True on success.</summary>
    Task<bool> BuildAsync(BuildRequest request, Action<string> log, CancellationToken cancellationToken);

    /// <summary>Runs the compatibility command in the image; true when it exits 0.</summary>
    Task<bool> CheckCompatibilityAsync(string imageRef, Action<string> log, CancellationToken cancellationToken);
}

/// <summary>
/// <c>buildah bud --isolation chroot</c> with <c>RUNNER_COMPAT_REF</c> set to the runner image. Secrets are written to
/// 0600 files in a private 0700 folder, mounted with <c>--secret id=X,src=file</c> (so they exist only under
/// /run/secrets during the RUN that mounts them, never in a layer), and deleted when the build ends. The compatibility
/// check is <c>podman run --rm</c> of the configured command.
/// </summary>
public sealed class BuildahImageBuilder(IOptions<ImagesOptions> options, PodmanMachineProvider podman) : IImageBuilder
{
    private ImagesOptions Options => options.Value;

    public async Task<bool> BuildAsync(BuildRequest request, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("buildah builds run on Linux only");
        }

        var secretFolder = Path.Join(Options.BuildDirectory, "secrets-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(secretFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var redactor = new SecretRedactor();
        try
        {
            var arguments = new List<string>
            {
                "--storage-driver", Options.StorageDriver,
                "bud", "--isolation", "chroot",
                "--build-arg", "RUNNER_COMPAT_REF=" + Options.RunnerImage,
                "-f", request.DockerfilePath, "-t", request.Tag,
            };
            foreach (var (id, secret) in request.Secrets)
            {
                var file = Path.Join(secretFolder, Guid.NewGuid().ToString("N"));
                await using (var stream = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }))
                {
                    await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(secret.Reveal()), cancellationToken);
                }

                redactor.Register(secret.Reveal());
                arguments.Add("--secret");
                arguments.Add($"id={id},src={file}");
            }

            arguments.Add(request.ContextDirectory);
            log($"$ buildah bud --isolation chroot -t {request.Tag} ({request.Secrets.Count} build secrets)");
            var result = await ToolProcess.RunAsync(Options.Buildah, arguments, podman.Environment(), line => log(redactor.Redact(line)), cancellationToken);
            log(result.Succeeded ? "build succeeded" : $"build failed with exit code {result.ExitCode}");
            return result.Succeeded;
        }
        finally
        {
            Directory.Delete(secretFolder, recursive: true);
        }
    }

    public async Task<bool> CheckCompatibilityAsync(string imageRef, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var command = Options.EffectiveCompatibilityCommand;
        log("$ compatibility check: " + string.Join(' ', command));
        var result = await ToolProcess.RunAsync(
            Options.Podman,
            [.. podman.GlobalArguments(), "run", "--rm", "--network", "none", imageRef, .. command],
            podman.Environment(),
            log,
            cancellationToken);
        log(result.Succeeded ? "compatible" : $"not compatible (exit code {result.ExitCode})");
        return result.Succeeded;
    }
}

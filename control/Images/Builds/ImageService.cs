using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whim.Control.Images.Config;
using Whim.Control.Images.Dockerfiles;
using Whim.Control.Images.Freshness;
using Whim.Control.Images.Reserves;
using Whim.Runtime.Logging;

namespace Whim.Control.Images.Builds;

/// <summary>The outcome of asking for a build: refused with errors, or started.</summary>
/// <param name="Image">The image record (status Building) when started.</param>
/// <param name="Completion">Completes with the final record (Ready or Failed).</param>
/// <param name="Errors">Why the build was refused (config field or Dockerfile line), when it was.</param>
public sealed record BuildStart(WorkspaceImage? Image, Task<WorkspaceImage>? Completion, IReadOnlyList<string> Errors)
{
    public bool Started => Image is not null;
}

/// <summary>
/// Builds, validates, activates and deactivates workspace images, and points the reserve pools at the active image.
/// </summary>
public sealed partial class ImageService(
    IImageStore store,
    IImageBuilder builder,
    ReservePools pools,
    IReserveStore reserves,
    IOptions<ImagesOptions> options,
    TimeProvider time,
    ILogger<ImageService> logger)
{
    /// <summary>Starts a manual image build from a pasted Dockerfile (its build context is the Dockerfile alone).</summary>
    public async Task<BuildStart> StartManualBuildAsync(string workspaceId, string dockerfile, IReadOnlyDictionary<string, Secret> secrets, bool autoActivate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var errors = DockerfileValidator.Validate(dockerfile, DockerfileRules.Manual([.. secrets.Keys]));
        if (errors.Count > 0)
        {
            return new BuildStart(null, null, [.. errors.Select(e => "dockerfile: " + e)]);
        }

        var work = Path.Join(options.Value.BuildDirectory, "manual-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var path = Path.Join(work, "Dockerfile");
        await File.WriteAllTextAsync(path, dockerfile, cancellationToken);
        return await StartAsync(workspaceId, null, ImageSourceKind.Manual, null, new BuildRequest(string.Empty, work, path, secrets), autoActivate, work, cancellationToken);
    }

    /// <summary>Starts a repo-managed build of <paramref name="branch"/> from a checkout of it.</summary>
    public async Task<BuildStart> StartRepositoryBuildAsync(string workspaceId, string branch, DirectoryRepositoryFiles checkout, IReadOnlyDictionary<string, Secret> secrets, bool autoActivate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkout);
        ArgumentNullException.ThrowIfNull(secrets);
        var read = ImageConfigReader.Read(checkout);
        if (!read.IsValid)
        {
            return new BuildStart(null, null, [.. read.Errors.Select(e => e.ToString())]);
        }

        var config = read.Config!;
        var dockerfileBytes = checkout.TryRead(config.Dockerfile);
        if (dockerfileBytes is null)
        {
            return new BuildStart(null, null, [$"{(read.Source == ImageConfigSource.WhimJson ? ImageConfigReader.WhimJson : ImageConfigReader.PackageJson)}: dockerfile: '{config.Dockerfile}' does not exist"]);
        }

        var errors = new List<string>();
        errors.AddRange(DockerfileValidator.Validate(System.Text.Encoding.UTF8.GetString(dockerfileBytes), DockerfileRules.ForRepository(config)).Select(e => $"{config.Dockerfile}: {e}"));
        foreach (var staged in config.StagedFiles)
        {
            if (checkout.TryRead(staged) is null)
            {
                errors.Add($"stagedFiles: '{staged}' does not exist in the repository");
            }
        }

        foreach (var secret in config.BuildSecrets)
        {
            if (!secrets.ContainsKey(secret))
            {
                errors.Add($"buildSecrets: '{secret}' has no value in the workspace's environment");
            }
        }

        if (errors.Count > 0)
        {
            return new BuildStart(null, null, errors);
        }

        var hash = FreshnessHash.Compute(config, checkout);
        var request = new BuildRequest(string.Empty, Path.Join(checkout.Root, config.Context), Path.Join(checkout.Root, config.Dockerfile), secrets);
        return await StartAsync(workspaceId, branch, ImageSourceKind.Repository, hash, request, autoActivate, null, cancellationToken);
    }

    /// <summary>Activates a Ready + Compatible image; its scope's previous image is deactivated and the pools rotate.</summary>
    public async Task<WorkspaceImage> ActivateAsync(string imageId, CancellationToken cancellationToken)
    {
        var image = await store.GetAsync(imageId, cancellationToken) ?? throw new KeyNotFoundException($"image {imageId} does not exist");
        var refusal = ImageActivation.CannotActivate(image);
        if (refusal is not null)
        {
            throw new InvalidOperationException(refusal);
        }

        return await ActivateCheckedAsync(image, cancellationToken);
    }

    // Writes the activation (the image and the one it replaces in its scope) in one change, then repoints the pools.
    private async Task<WorkspaceImage> ActivateCheckedAsync(WorkspaceImage image, CancellationToken cancellationToken)
    {
        var changes = ImageActivation.Activate(image, await store.ListAsync(image.WorkspaceId, cancellationToken));
        await store.PutAsync(changes, cancellationToken);
        Log.Activated(logger, image.Id, image.WorkspaceId);
        await RepointPoolsAsync(image.WorkspaceId, cancellationToken);
        return changes.First(c => c.Id == image.Id);
    }

    /// <summary>Deactivates an image; its scope falls back to the workspace image or the default runtime.</summary>
    public async Task<WorkspaceImage> DeactivateAsync(string imageId, CancellationToken cancellationToken)
    {
        var image = await store.GetAsync(imageId, cancellationToken) ?? throw new KeyNotFoundException($"image {imageId} does not exist");
        await store.PutAsync([image with { Active = false }], cancellationToken);
        await RepointPoolsAsync(image.WorkspaceId, cancellationToken);
        return (await store.GetAsync(imageId, cancellationToken))!;
    }

    /// <summary>The image a task on <paramref name="branch"/> runs: branch image, else workspace image, else the default runtime.</summary>
    public async Task<string> ResolveImageAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        ImageActivation.Resolve(await store.ListAsync(workspaceId, cancellationToken), branch, options.Value.RunnerImage);

    /// <summary>True when a repo-managed image was built from other inputs than the branch head's.</summary>
    public static bool IsStale(WorkspaceImage image, string headHash)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.FreshnessHash is not null && !string.Equals(image.FreshnessHash, headHash, StringComparison.Ordinal);
    }

    private async Task RepointPoolsAsync(string workspaceId, CancellationToken cancellationToken)
    {
        var images = await store.ListAsync(workspaceId, cancellationToken);
        foreach (var pool in await reserves.PoolsAsync(workspaceId, cancellationToken))
        {
            await pools.SetImageAsync(pool.Key, ImageActivation.Resolve(images, pool.Key.Branch, options.Value.RunnerImage), cancellationToken);
        }
    }

    private async Task<BuildStart> StartAsync(string workspaceId, string? branch, ImageSourceKind source, string? hash, BuildRequest request, bool autoActivate, string? cleanup, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        var tag = $"localhost/whim-{Sanitize(workspaceId)}:{id[..16]}";
        var image = new WorkspaceImage(id, workspaceId, branch, source, ImageStatus.Building, false, false, tag, hash, time.GetUtcNow(), null);
        await store.PutAsync([image], cancellationToken);
        Log.BuildStarted(logger, id, workspaceId);
        var completion = Task.Run(() => RunAsync(image, request with { Tag = tag }, autoActivate, cleanup, cancellationToken), CancellationToken.None);
        return new BuildStart(image, completion, []);
    }

    private async Task<WorkspaceImage> RunAsync(WorkspaceImage image, BuildRequest request, bool autoActivate, string? cleanup, CancellationToken cancellationToken)
    {
        var log = new BuildLog(store, image.Id);
        try
        {
            WorkspaceImage done;
            if (!await builder.BuildAsync(request, log.Append, cancellationToken))
            {
                done = image with { Status = ImageStatus.Failed, Error = "the build failed; see the build log" };
            }
            else
            {
                var compatible = await builder.CheckCompatibilityAsync(image.ImageRef, log.Append, cancellationToken);
                done = image with { Status = ImageStatus.Ready, Compatible = compatible, Error = compatible ? null : "the image does not run the Whim runtime; see the build log" };
            }

            // The whole log is stored before the status says the build ended, so a client that sees Ready/Failed reads it all.
            await log.CompleteAsync();
            if (autoActivate && done.Compatible)
            {
                // Ready and active in one write: a client never sees a finished auto-activating build inactive.
                Log.BuildFinished(logger, done.Id, done.Status.ToString(), done.Compatible);
                return await ActivateCheckedAsync(done, CancellationToken.None);
            }

            return await FinishAsync(done);
        }
        catch (Exception e) when (e is Machines.MachineProviderException or IOException or OperationCanceledException or System.Data.Common.DbException)
        {
            log.Append("build error: " + e.Message);
            await log.CompleteAsync();
            return await FinishAsync(image with { Status = ImageStatus.Failed, Error = e.Message });
        }
        finally
        {
            if (cleanup is not null)
            {
                Directory.Delete(cleanup, recursive: true);
            }
        }
    }

    private async Task<WorkspaceImage> FinishAsync(WorkspaceImage image)
    {
        await store.PutAsync([image], CancellationToken.None);
        Log.BuildFinished(logger, image.Id, image.Status.ToString(), image.Compatible);
        return image;
    }

    private static string Sanitize(string value)
    {
        var chars = value.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(40).ToArray();
        return chars.Length == 0 ? "workspace" : new string(chars);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "BuildStarted", Level = LogLevel.Information, Message = "Image {ImageId} build started for workspace {WorkspaceId}")]
        public static partial void BuildStarted(ILogger logger, string imageId, string workspaceId);

        [LoggerMessage(EventId = 2, EventName = "BuildFinished", Level = LogLevel.Information, Message = "Image {ImageId} build finished: {Status}, compatible {Compatible}")]
        public static partial void BuildFinished(ILogger logger, string imageId, string status, bool compatible);

        [LoggerMessage(EventId = 3, EventName = "ImageActivated", Level = LogLevel.Information, Message = "Image {ImageId} activated in workspace {WorkspaceId}")]
        public static partial void Activated(ILogger logger, string imageId, string workspaceId);
    }
}

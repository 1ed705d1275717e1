using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Whim.Control.Images;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Config;
using Whim.Control.Images.Reserves;
using Whim.Control.Workspaces;
using Whim.Runtime.Logging;

namespace Whim.Control.WorkspaceImages;

/// <summary>
/// Workspace images (list, build → 202, read with status and log, activate, deactivate), tracked branches and their
/// warm-reserve targets: the HTTP face of <c>control/Images</c> (SPEC §7).
/// </summary>
internal static partial class ImageEndpoints
{
    public static void MapWorkspaceImages(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("/workspaces/{workspaceId}/images").RequireScope(ApiScope.Workspace).WithTags("Images");
        images.MapGet(string.Empty, ListAsync);
        images.MapPost(string.Empty, BuildAsync).AddEndpointFilter(AdminsOnlyAsync);
        images.MapGet("/{imageId}", GetAsync);
        images.MapPost("/{imageId}/activate", (string workspaceId, string imageId, ImageService service, IImageStore store, CancellationToken ct) =>
            ChangeActivationAsync(workspaceId, imageId, activate: true, service, store, ct)).AddEndpointFilter(AdminsOnlyAsync);
        images.MapPost("/{imageId}/deactivate", (string workspaceId, string imageId, ImageService service, IImageStore store, CancellationToken ct) =>
            ChangeActivationAsync(workspaceId, imageId, activate: false, service, store, ct)).AddEndpointFilter(AdminsOnlyAsync);

        var reserves = api.MapGroup("/workspaces/{workspaceId}").RequireScope(ApiScope.Workspace).WithTags("Reserves");
        reserves.MapGet("/reserves", ListReservesAsync);
        reserves.MapGet("/reserves/{**branch}", GetReserveAsync);
        reserves.MapPut("/reserves/{**branch}", SetTargetAsync).AddEndpointFilter(AdminsOnlyAsync);
        reserves.MapPut("/branches/{**branch}", TrackAsync).AddEndpointFilter(AdminsOnlyAsync);
        reserves.MapDelete("/branches/{**branch}", UntrackAsync).AddEndpointFilter(AdminsOnlyAsync);
    }

    /// <summary>
    /// SPEC §7.2: only team admins build, activate or track images (and so set reserves, which cost CU): the admin
    /// token, or an MCP token whose user is an admin member of the workspace. Others (editors, viewers, task tokens) get 403.
    /// </summary>
    private static async ValueTask<object?> AdminsOnlyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = Caller.Of(http);
        if (caller.IsAdmin)
        {
            return await next(context);
        }

        var workspaceId = (string)http.Request.RouteValues["workspaceId"]!;
        var members = await http.RequestServices.GetRequiredService<WorkspaceStore>().ListMembersAsync(workspaceId, http.RequestAborted);
        if (caller.Kind == CallerKind.Mcp && members.Exists(m => m.UserId == caller.UserId && m.Role == "admin"))
        {
            return await next(context);
        }

        return Results.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Forbidden.",
            detail: "Only workspace admins build, activate or deactivate images, track branches and set reserve targets.");
    }

    private static async Task<IResult> ListAsync(string workspaceId, WorkspaceStore workspaces, IImageStore store, CancellationToken ct)
    {
        if (await workspaces.GetWorkspaceAsync(workspaceId, ct) is null)
        {
            return Problems.NotFound("The workspace");
        }

        return Results.Ok((await store.ListAsync(workspaceId, ct)).Select(i => ImageView.From(i)).ToList());
    }

    private static async Task<IResult> GetAsync(string workspaceId, string imageId, IImageStore store, CancellationToken ct)
    {
        var image = await store.GetAsync(imageId, ct);
        return image is null || image.WorkspaceId != workspaceId
            ? Problems.NotFound("The image")
            : Results.Ok(ImageView.From(image, await store.LogAsync(imageId, ct)));
    }

    private static async Task<IResult> BuildAsync(
        string workspaceId,
        BuildImageRequest request,
        WorkspaceStore workspaces,
        ImageService service,
        IOptions<ImagesOptions> options,
        IHostApplicationLifetime lifetime,
        CancellationToken ct)
    {
        var v = new Validation();
        var manual = request.Dockerfile is not null;
        if (manual)
        {
            v.Required("dockerfile", request.Dockerfile, 100_000);
            if (request.Branch is not null || request.CheckoutPath is not null)
            {
                v.Add(request.Branch is not null ? "branch" : "checkoutPath", "is not used with a pasted dockerfile");
            }
        }
        else
        {
            if (request.Branch is null && request.CheckoutPath is null)
            {
                v.Add("dockerfile", "is required unless branch and checkoutPath name a repository checkout");
            }
            else
            {
                CheckBranch(v, "branch", request.Branch);
                CheckCheckout(v, request.CheckoutPath, options.Value.CheckoutRoot);
            }
        }

        var secrets = new Dictionary<string, Secret>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Secrets ?? [])
        {
            if (!SecretName().IsMatch(name))
            {
                v.Add($"secrets.{name}", "must be an environment variable name (letters, digits, _; not starting with a digit)");
            }
            else if (value is null || value.Length > 65_536)
            {
                v.Add($"secrets.{name}", "must be a string of at most 65536 characters");
            }
            else
            {
                SecretRedactor.Shared.Register(value);
                secrets[name] = new Secret(value);
            }
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await workspaces.GetWorkspaceAsync(workspaceId, ct) is null)
        {
            return Problems.NotFound("The workspace");
        }

        // The build outlives the request: it stops only with the application.
        var autoActivate = request.AutoActivate ?? true;
        var start = manual
            ? await service.StartManualBuildAsync(workspaceId, request.Dockerfile!, secrets, autoActivate, lifetime.ApplicationStopping)
            : await service.StartRepositoryBuildAsync(workspaceId, request.Branch!, new DirectoryRepositoryFiles(Path.GetFullPath(request.CheckoutPath!)), secrets, autoActivate, lifetime.ApplicationStopping);
        if (!start.Started)
        {
            // Each refusal reads "<field or file>: <reason>" (e.g. "dockerfile: line 2: ..." or "whim.json: image.stagedFiles[0]: ...").
            var errors = new Validation();
            foreach (var error in start.Errors)
            {
                var split = error.IndexOf(": ", StringComparison.Ordinal);
                errors.Add(split > 0 ? error[..split] : manual ? "dockerfile" : "checkoutPath", split > 0 ? error[(split + 2)..] : error);
            }

            return errors.ToProblem();
        }

        var image = ImageView.From(start.Image!);
        return Results.Accepted($"/api/v1/workspaces/{workspaceId}/images/{image.Id}", image);
    }

    private static async Task<IResult> ChangeActivationAsync(string workspaceId, string imageId, bool activate, ImageService service, IImageStore store, CancellationToken ct)
    {
        var image = await store.GetAsync(imageId, ct);
        if (image is null || image.WorkspaceId != workspaceId)
        {
            return Problems.NotFound("The image");
        }

        if (activate && ImageActivation.CannotActivate(image) is { } refusal)
        {
            return Problems.Conflict(refusal);
        }

        return Results.Ok(ImageView.From(activate ? await service.ActivateAsync(imageId, ct) : await service.DeactivateAsync(imageId, ct)));
    }

    private static async Task<IResult> ListReservesAsync(string workspaceId, WorkspaceStore workspaces, BranchTracker branches, IReserveStore reserves, ImageService service, CancellationToken ct)
    {
        if (await workspaces.GetWorkspaceAsync(workspaceId, ct) is null)
        {
            return Problems.NotFound("The workspace");
        }

        var views = new List<ReserveView>();
        foreach (var branch in await branches.TrackedAsync(workspaceId, ct))
        {
            views.Add(await ViewAsync(branch, reserves, service, ct));
        }

        return Results.Ok(views);
    }

    private static async Task<IResult> GetReserveAsync(string workspaceId, string branch, BranchTracker branches, IReserveStore reserves, ImageService service, CancellationToken ct)
    {
        var tracked = await branches.GetAsync(workspaceId, branch, ct);
        return tracked is null ? Problems.NotFound("The tracked branch") : Results.Ok(await ViewAsync(tracked, reserves, service, ct));
    }

    private static async Task<IResult> SetTargetAsync(
        string workspaceId,
        string branch,
        ReserveTargetRequest request,
        BranchTracker branches,
        ReservePools pools,
        IReserveStore reserves,
        ImageService service,
        CancellationToken ct)
    {
        var v = new Validation();
        if (request.Target is null)
        {
            v.Add("target", "is required");
        }

        v.Range("target", request.Target, 0, PlanTable.MaxReserveTarget);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var tracked = await branches.GetAsync(workspaceId, branch, ct);
        if (tracked is null)
        {
            return Problems.NotFound("The tracked branch");
        }

        var image = await service.ResolveImageAsync(workspaceId, branch, ct);
        await pools.SetTargetAsync(new ReservePoolKey(workspaceId, branch), request.Target!.Value, image, tracked.IsDefault, ct);
        return Results.Ok(await ViewAsync(tracked, reserves, service, ct));
    }

    private static async Task<IResult> TrackAsync(
        string workspaceId,
        string branch,
        TrackBranchRequest request,
        WorkspaceStore workspaces,
        BranchTracker branches,
        IReserveStore reserves,
        ImageService service,
        CancellationToken ct)
    {
        var v = new Validation();
        CheckBranch(v, "branch", branch);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await workspaces.GetWorkspaceAsync(workspaceId, ct) is null)
        {
            return Problems.NotFound("The workspace");
        }

        var tracked = request.Default == true
            ? await branches.SetDefaultBranchAsync(workspaceId, branch, ct)
            : await branches.TrackAsync(workspaceId, branch, ct);
        return Results.Ok(await ViewAsync(tracked, reserves, service, ct));
    }

    private static async Task<IResult> UntrackAsync(string workspaceId, string branch, BranchTracker branches, ReservePools pools, IReserveStore reserves, CancellationToken ct)
    {
        var tracked = await branches.GetAsync(workspaceId, branch, ct);
        if (tracked is null)
        {
            return Results.NoContent();
        }

        if (!await branches.UntrackAsync(workspaceId, branch, ct))
        {
            return Problems.Conflict("The default branch is always tracked.");
        }

        // An untracked branch keeps no reserves: its pool drops to 0 and the reconciler removes the machines.
        var key = new ReservePoolKey(workspaceId, branch);
        if (await reserves.GetPoolAsync(key, ct) is { } pool)
        {
            await pools.SetTargetAsync(key, 0, pool.ImageRef, defaultBranch: false, ct);
        }

        return Results.NoContent();
    }

    private static async Task<ReserveView> ViewAsync(TrackedBranch branch, IReserveStore reserves, ImageService service, CancellationToken ct)
    {
        var key = new ReservePoolKey(branch.WorkspaceId, branch.Branch);
        var pool = await reserves.GetPoolAsync(key, ct);
        var warm = (await reserves.MachinesAsync(key, ct)).Count(m => m.State == ReserveState.Warm);
        return ReserveView.From(branch, pool, pool?.ImageRef ?? await service.ResolveImageAsync(branch.WorkspaceId, branch.Branch, ct), warm);
    }

    /// <summary>A git branch name: 1–255 printable characters, no spaces, <c>..</c>, <c>~^:?*[\</c>, leading or trailing <c>/</c>.</summary>
    private static void CheckBranch(Validation v, string field, string? branch)
    {
        if (string.IsNullOrEmpty(branch))
        {
            v.Add(field, "is required");
        }
        else if (branch.Length > 255 || !BranchName().IsMatch(branch) || branch.Contains("..", StringComparison.Ordinal) || branch.Contains("//", StringComparison.Ordinal)
            || branch.EndsWith(".lock", StringComparison.Ordinal))
        {
            v.Add(field, "is not a valid branch name");
        }
    }

    private static void CheckCheckout(Validation v, string? path, string root)
    {
        if (string.IsNullOrEmpty(path))
        {
            v.Add("checkoutPath", "is required with branch");
        }
        else if (root.Length == 0)
        {
            v.Add("checkoutPath", "repo-managed builds are disabled (Images:CheckoutRoot is not set)");
        }
        else
        {
            var full = Path.GetFullPath(path);
            var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
            if (!full.StartsWith(prefix, StringComparison.Ordinal) || !Directory.Exists(full))
            {
                v.Add("checkoutPath", "must be an existing folder inside Images:CheckoutRoot");
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"^(?!/)(?!.*/$)[^\x00-\x20\x7f~^:?*\[\\]+$")]
    private static partial Regex BranchName();
}

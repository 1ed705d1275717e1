using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Tests.Fixtures;
using Whim.Testing;
using Xunit;

namespace Whim.Control.Tests.Images;

/// <summary>Launching a task on a tracked branch counts as activity, so the branch survives the 14-day rule.</summary>
public sealed class BranchActivityTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private ControlHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await ControlHost.StartAsync(new SqliteBackend(), services => services.AddSingleton<TimeProvider>(_time));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Launching_a_task_from_a_tracked_branch_resets_its_inactivity_clock()
    {
        var ws = await _host.SeedWorkspaceAsync();
        using var client = _host.ClientWith(ws.McpToken);
        await ControlHost.PutTrackedAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/branches/feature", isDefault: false);
        await ControlHost.PutTrackedAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/branches/idle", isDefault: false);
        _time.Advance(TimeSpan.FromDays(10));

        await ControlHost.PostAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks", new JsonObject { ["title"] = "x", ["sourceBranch"] = "feature", ["launch"] = true });
        _time.Advance(TimeSpan.FromDays(4));

        // The reconciler loop (its timer runs on the same clock) untracks the idle branch; the launched one stays.
        await Eventually.UntilAsync(
            async () => (await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/reserves")).AsArray().Select(b => b!["branch"]!.GetValue<string>()).SequenceEqual(["feature"]),
            "the idle branch to be untracked");
        var reserve = await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/reserves/feature");
        reserve["lastActivityAt"]!.GetValue<DateTimeOffset>().Should().Be(_time.GetUtcNow().AddDays(-4).TruncateToMilliseconds());
    }
}

internal static class TimeExtensions
{
    public static DateTimeOffset TruncateToMilliseconds(this DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());
}

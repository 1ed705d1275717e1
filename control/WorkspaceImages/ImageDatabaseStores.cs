using System.Data.Common;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Dockerfiles;
using Whim.Control.Images.Reserves;

namespace Whim.Control.WorkspaceImages;

/// <summary>Workspace images and build logs in the control database (migration 003).</summary>
internal sealed class DbImageStore(Database database) : IImageStore
{
    private const string Columns = "id, workspace_id, branch, source, status, compatible, active, image_ref, freshness_hash, created_at, error";

    public Task PutAsync(IReadOnlyList<WorkspaceImage> images, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async s =>
            {
                foreach (var i in images)
                {
                    await s.ExecuteAsync(
                        $"INSERT INTO workspace_images ({Columns}) VALUES (@id, @ws, @branch, @source, @status, @compatible, @active, @ref, @hash, @at, @error) " +
                        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, compatible = excluded.compatible, active = excluded.active, " +
                        "freshness_hash = excluded.freshness_hash, error = excluded.error",
                        ("@id", i.Id), ("@ws", i.WorkspaceId), ("@branch", i.Branch), ("@source", i.Source.ToString()), ("@status", i.Status.ToString()),
                        ("@compatible", i.Compatible ? 1L : 0L), ("@active", i.Active ? 1L : 0L), ("@ref", i.ImageRef), ("@hash", i.FreshnessHash),
                        ("@at", i.CreatedAt.ToUnixTimeMilliseconds()), ("@error", i.Error));
                }
            },
            cancellationToken);

    public Task<WorkspaceImage?> GetAsync(string imageId, CancellationToken cancellationToken) =>
        database.ReadAsync(s => s.SingleAsync($"SELECT {Columns} FROM workspace_images WHERE id = @id", Map, ("@id", imageId)), cancellationToken);

    public async Task<IReadOnlyList<WorkspaceImage>> ListAsync(string workspaceId, CancellationToken cancellationToken) =>
        await database.ReadAsync(s => s.QueryAsync($"SELECT {Columns} FROM workspace_images WHERE workspace_id = @ws ORDER BY created_at, id", Map, ("@ws", workspaceId)), cancellationToken);

    public Task AppendLogAsync(string imageId, IReadOnlyList<string> lines, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async s =>
            {
                // One writer per image (BuildLog), so the next sequence number cannot race.
                var next = await s.CountAsync("SELECT COALESCE(MAX(seq), 0) FROM workspace_image_logs WHERE image_id = @id", ("@id", imageId));
                foreach (var line in lines)
                {
                    await s.ExecuteAsync("INSERT INTO workspace_image_logs (image_id, seq, line) VALUES (@id, @seq, @line)", ("@id", imageId), ("@seq", ++next), ("@line", line));
                }
            },
            cancellationToken);

    public async Task<IReadOnlyList<string>> LogAsync(string imageId, CancellationToken cancellationToken) =>
        await database.ReadAsync(s => s.QueryAsync("SELECT line FROM workspace_image_logs WHERE image_id = @id ORDER BY seq", static r => r.Text(0), ("@id", imageId)), cancellationToken);

    private static WorkspaceImage Map(DbDataReader r) => new(
        r.Text(0), r.Text(1), r.NullableText(2), Enum.Parse<ImageSourceKind>(r.Text(3)), Enum.Parse<ImageStatus>(r.Text(4)),
        r.Long(5) != 0, r.Long(6) != 0, r.Text(7), r.NullableText(8), r.Time(9), r.NullableText(10));
}

/// <summary>Reserve pools and machines in the control database; a claim is one DELETE … RETURNING (PostgreSQL skips rows another claim holds).</summary>
internal sealed class DbReserveStore(Database database) : IReserveStore
{
    private const string MachineColumns = "machine_id, workspace_id, branch, image_ref, state, created_at";

    public Task SetPoolAsync(ReservePool pool, CancellationToken cancellationToken) =>
        database.WriteAsync(
            s => s.ExecuteAsync(
                "INSERT INTO reserve_pools (workspace_id, branch, target, image_ref) VALUES (@ws, @branch, @target, @ref) " +
                "ON CONFLICT (workspace_id, branch) DO UPDATE SET target = excluded.target, image_ref = excluded.image_ref",
                ("@ws", pool.Key.WorkspaceId), ("@branch", pool.Key.Branch), ("@target", (long)pool.Target), ("@ref", pool.ImageRef)),
            cancellationToken);

    public Task<ReservePool?> GetPoolAsync(ReservePoolKey key, CancellationToken cancellationToken) =>
        database.ReadAsync(
            s => s.SingleAsync("SELECT workspace_id, branch, target, image_ref FROM reserve_pools WHERE workspace_id = @ws AND branch = @branch", MapPool, ("@ws", key.WorkspaceId), ("@branch", key.Branch)),
            cancellationToken);

    public async Task<IReadOnlyList<ReservePool>> PoolsAsync(string? workspaceId, CancellationToken cancellationToken) =>
        await database.ReadAsync(
            s => s.QueryAsync("SELECT workspace_id, branch, target, image_ref FROM reserve_pools WHERE (CAST(@ws AS TEXT) IS NULL OR workspace_id = @ws) ORDER BY workspace_id, branch", MapPool, ("@ws", workspaceId)),
            cancellationToken);

    public async Task<IReadOnlyList<ReserveMachine>> MachinesAsync(ReservePoolKey key, CancellationToken cancellationToken) =>
        await database.ReadAsync(
            s => s.QueryAsync($"SELECT {MachineColumns} FROM reserve_machines WHERE workspace_id = @ws AND branch = @branch ORDER BY created_at, machine_id", MapMachine, ("@ws", key.WorkspaceId), ("@branch", key.Branch)),
            cancellationToken);

    public Task PutMachineAsync(ReserveMachine machine, CancellationToken cancellationToken) =>
        database.WriteAsync(
            s => s.ExecuteAsync(
                $"INSERT INTO reserve_machines ({MachineColumns}) VALUES (@id, @ws, @branch, @ref, @state, @at) " +
                "ON CONFLICT (machine_id) DO UPDATE SET image_ref = excluded.image_ref, state = excluded.state",
                ("@id", machine.MachineId), ("@ws", machine.Pool.WorkspaceId), ("@branch", machine.Pool.Branch), ("@ref", machine.ImageRef),
                ("@state", machine.State.ToString()), ("@at", machine.CreatedAt.ToUnixTimeMilliseconds())),
            cancellationToken);

    public Task RemoveMachineAsync(string machineId, CancellationToken cancellationToken) =>
        database.WriteAsync(s => s.ExecuteAsync("DELETE FROM reserve_machines WHERE machine_id = @id", ("@id", machineId)), cancellationToken);

    public Task<ReserveMachine?> TryClaimAsync(ReservePoolKey key, string imageRef, CancellationToken cancellationToken)
    {
        var skipLocked = database.Dialect is PostgresDialect ? " FOR UPDATE SKIP LOCKED" : string.Empty;
        return database.WriteAsync(
            s => s.SingleAsync(
                "DELETE FROM reserve_machines WHERE machine_id = (SELECT machine_id FROM reserve_machines " +
                "WHERE workspace_id = @ws AND branch = @branch AND image_ref = @ref AND state = @warm ORDER BY created_at, machine_id LIMIT 1" + skipLocked + ") " +
                $"RETURNING {MachineColumns}",
                MapMachine,
                ("@ws", key.WorkspaceId), ("@branch", key.Branch), ("@ref", imageRef), ("@warm", nameof(ReserveState.Warm))),
            cancellationToken);
    }

    private static ReservePool MapPool(DbDataReader r) => new(new ReservePoolKey(r.Text(0), r.Text(1)), (int)r.Long(2), r.Text(3));

    private static ReserveMachine MapMachine(DbDataReader r) =>
        new(r.Text(0), new ReservePoolKey(r.Text(1), r.Text(2)), r.Text(3), Enum.Parse<ReserveState>(r.Text(4)), r.Time(5));
}

/// <summary>The reserve CU ledger in the control database; compute units are stored as exact millionths.</summary>
internal sealed class DbReserveLedger(Database database) : IReserveLedger
{
    private const decimal Micro = 1_000_000m;

    public Task AppendAsync(IReadOnlyList<ReserveLedgerEntry> entries, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async s =>
            {
                foreach (var e in entries)
                {
                    await s.ExecuteAsync(
                        "INSERT INTO reserve_ledger (workspace_id, branch, from_at, to_at, target, billable_machines, compute_units_micro) VALUES (@ws, @branch, @from, @to, @target, @billable, @cu)",
                        ("@ws", e.WorkspaceId), ("@branch", e.Branch), ("@from", e.From.ToUnixTimeMilliseconds()), ("@to", e.To.ToUnixTimeMilliseconds()),
                        ("@target", (long)e.Target), ("@billable", (long)e.BillableMachines), ("@cu", (long)decimal.Round(e.ComputeUnits * Micro)));
                }
            },
            cancellationToken);

    public async Task<IReadOnlyList<ReserveLedgerEntry>> EntriesAsync(string workspaceId, CancellationToken cancellationToken) =>
        await database.ReadAsync(
            s => s.QueryAsync(
                "SELECT workspace_id, branch, from_at, to_at, target, billable_machines, compute_units_micro FROM reserve_ledger WHERE workspace_id = @ws ORDER BY id",
                static r => new ReserveLedgerEntry(r.Text(0), r.Text(1), r.Time(2), r.Time(3), (int)r.Long(4), (int)r.Long(5), r.Long(6) / Micro),
                ("@ws", workspaceId)),
            cancellationToken);
}

/// <summary>Tracked branches in the control database.</summary>
internal sealed class DbBranchStore(Database database) : IBranchStore
{
    private const string Columns = "workspace_id, branch, is_default, tracked_at, last_activity_at";

    public Task<TrackedBranch?> GetAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        database.ReadAsync(s => s.SingleAsync($"SELECT {Columns} FROM tracked_branches WHERE workspace_id = @ws AND branch = @branch", Map, ("@ws", workspaceId), ("@branch", branch)), cancellationToken);

    public Task PutAsync(IReadOnlyList<TrackedBranch> branches, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async s =>
            {
                foreach (var b in branches)
                {
                    await s.ExecuteAsync(
                        $"INSERT INTO tracked_branches ({Columns}) VALUES (@ws, @branch, @default, @tracked, @activity) " +
                        "ON CONFLICT (workspace_id, branch) DO UPDATE SET is_default = excluded.is_default, last_activity_at = excluded.last_activity_at",
                        ("@ws", b.WorkspaceId), ("@branch", b.Branch), ("@default", b.IsDefault ? 1L : 0L),
                        ("@tracked", b.TrackedAt.ToUnixTimeMilliseconds()), ("@activity", b.LastActivityAt.ToUnixTimeMilliseconds()));
                }
            },
            cancellationToken);

    public async Task<bool> RemoveAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        await database.WriteAsync(s => s.ExecuteAsync("DELETE FROM tracked_branches WHERE workspace_id = @ws AND branch = @branch", ("@ws", workspaceId), ("@branch", branch)), cancellationToken) > 0;

    public async Task<IReadOnlyList<TrackedBranch>> ListAsync(string? workspaceId, CancellationToken cancellationToken) =>
        await database.ReadAsync(
            s => s.QueryAsync($"SELECT {Columns} FROM tracked_branches WHERE (CAST(@ws AS TEXT) IS NULL OR workspace_id = @ws) ORDER BY workspace_id, branch", Map, ("@ws", workspaceId)),
            cancellationToken);

    private static TrackedBranch Map(DbDataReader r) => new(r.Text(0), r.Text(1), r.Long(2) != 0, r.Time(3), r.Time(4));
}

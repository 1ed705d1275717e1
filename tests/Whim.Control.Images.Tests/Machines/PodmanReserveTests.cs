using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Machines;
using Whim.Control.Images.Reserves;
using Xunit;

namespace Whim.Control.Images.Tests.Machines;

/// <summary>Reserve pools on real podman containers (paused with the cgroup freezer, resumed on claim).</summary>
[Collection(ContainerCollection.Name)]
public sealed class PodmanReserveTests(ContainerFixture containers) : IAsyncLifetime
{
    private readonly ReservePoolKey _key = new("ws-" + Guid.NewGuid().ToString("N")[..8], "main");
    private readonly InMemoryReserveStore _store = new();
    private readonly List<string> _claimed = [];
    private ReservePools _pools = null!;

    public Task InitializeAsync()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _pools = new ReservePools(_store, containers.Provider, new ReserveBillingMeter(new InMemoryReserveLedger(), time),
            Microsoft.Extensions.Options.Options.Create(containers.Options), time, NullLogger<ReservePools>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var machine in (await _store.MachinesAsync(_key, default)).Select(m => m.MachineId).Concat(_claimed))
        {
            await containers.Provider.RemoveAsync(machine, default);
        }
    }

    private async Task<IReadOnlyList<MachineInfo>> Inspect()
    {
        var result = new List<MachineInfo>();
        foreach (var machine in (await _store.MachinesAsync(_key, default)))
        {
            result.Add(await containers.Provider.InspectAsync(machine.MachineId, default));
        }

        return result;
    }

    [Fact]
    public async Task Pool_lifecycle_on_podman_target_claim_lower_and_rotate()
    {
        // Target 2 → two paused containers.
        await _pools.SetTargetAsync(_key, 2, ContainerFixture.BaseImage, defaultBranch: true, default);
        await _pools.ReconcileAsync(_key, default);
        var warm = await Inspect();
        warm.Should().HaveCount(2).And.OnlyContain(m => m.State == MachineState.Paused);

        // A claim turns one into a running task with its config injected.
        var claim = await _pools.ClaimAsync(_key, ContainerFixture.BaseImage, Encoding.UTF8.GetBytes("{\"taskId\":\"t-1\"}"), default);
        _claimed.Add(claim.MachineId);
        claim.Warm.Should().BeTrue();
        (await containers.Provider.InspectAsync(claim.MachineId, default)).State.Should().Be(MachineState.Running);
        var config = await containers.Podman("exec", claim.MachineId, "cat", PodmanMachineProvider.TaskConfigPath);
        config.Output.Should().Contain("t-1");
        (await _store.MachinesAsync(_key, default)).Should().ContainSingle();

        // Refill, then lowering the target removes the extra.
        await _pools.ReconcileAsync(_key, default);
        (await Inspect()).Should().HaveCount(2);
        var before = (await _store.MachinesAsync(_key, default)).Select(m => m.MachineId).ToArray();
        await _pools.SetTargetAsync(_key, 1, ContainerFixture.BaseImage, defaultBranch: true, default);
        await _pools.ReconcileAsync(_key, default);
        (await Inspect()).Should().ContainSingle().Which.State.Should().Be(MachineState.Paused);
        var removed = before.Except((await _store.MachinesAsync(_key, default)).Select(m => m.MachineId)).Single();
        (await containers.Provider.InspectAsync(removed, default)).State.Should().Be(MachineState.Missing);

        // Activating another image rotates the pool.
        await _pools.SetImageAsync(_key, ContainerFixture.RunnerImage, default);
        await _pools.ReconcileAsync(_key, default);
        var rotated = await Inspect();
        rotated.Should().ContainSingle().Which.State.Should().Be(MachineState.Paused);
        rotated[0].Image.Should().Contain("whim-test-runner");
    }

    [Fact]
    public async Task Pool_through_the_podman_api_socket_creates_pauses_resumes_and_removes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pools = new ReservePools(_store, containers.ApiProvider, new ReserveBillingMeter(new InMemoryReserveLedger(), time),
            Microsoft.Extensions.Options.Options.Create(containers.Options), time, NullLogger<ReservePools>.Instance);
        await pools.SetTargetAsync(_key, 1, ContainerFixture.BaseImage, defaultBranch: true, default);
        await pools.ReconcileAsync(_key, default);
        (await Inspect()).Should().ContainSingle().Which.State.Should().Be(MachineState.Paused);

        var claim = await pools.ClaimAsync(_key, ContainerFixture.BaseImage, "{}"u8.ToArray(), default);
        _claimed.Add(claim.MachineId);

        claim.Warm.Should().BeTrue();
        (await containers.Provider.InspectAsync(claim.MachineId, default)).State.Should().Be(MachineState.Running);
        (await containers.ApiProvider.InspectAsync(claim.MachineId, default)).Should().Be(new MachineInfo(claim.MachineId, MachineState.Running, ContainerFixture.BaseImage));
        var config = await containers.Podman("exec", claim.MachineId, "cat", PodmanMachineProvider.TaskConfigPath);
        config.Output.Should().Be("{}");

        await containers.ApiProvider.RemoveAsync(claim.MachineId, default);
        (await containers.Provider.InspectAsync(claim.MachineId, default)).State.Should().Be(MachineState.Missing);
    }

    [Fact]
    public async Task Claim_without_reserves_cold_creates_a_running_machine()
    {
        await _pools.SetTargetAsync(_key, 0, ContainerFixture.BaseImage, defaultBranch: true, default);

        var claim = await _pools.ClaimAsync(_key, ContainerFixture.BaseImage, "{}"u8.ToArray(), default);
        _claimed.Add(claim.MachineId);

        claim.Warm.Should().BeFalse();
        (await containers.Provider.InspectAsync(claim.MachineId, default)).State.Should().Be(MachineState.Running);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Inspecting_an_unknown_machine_reports_missing_and_removing_it_is_not_an_error(bool throughApiSocket)
    {
        var provider = throughApiSocket ? containers.ApiProvider : containers.Provider;
        var id = "whim-none-" + Guid.NewGuid().ToString("N");

        (await provider.InspectAsync(id, default)).State.Should().Be(MachineState.Missing);
        await provider.RemoveAsync(id, default);
    }
}

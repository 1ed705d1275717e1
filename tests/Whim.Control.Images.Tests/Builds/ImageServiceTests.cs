using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Config;
using Whim.Control.Images.Reserves;
using Whim.Control.Images.Tests.Machines;
using Whim.Runtime.Logging;
using Whim.Testing;
using Xunit;

namespace Whim.Control.Images.Tests.Builds;

public sealed class ImageServiceTests : IDisposable
{
    private const string Valid = "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN true\n";
    private readonly TempRoot _root = new("whim-images-svc-");
    private readonly FakeBuilder _builder = new();
    private readonly InMemoryImageStore _images = new();
    private readonly InMemoryReserveStore _reserves = new();
    private readonly ReservePools _pools;
    private readonly ImageService _service;

    public ImageServiceTests()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Options.Create(new ImagesOptions { RunnerImage = "runner:default", BuildDirectory = _root.Path });
        _pools = new ReservePools(_reserves, new FakeMachineProvider(), new ReserveBillingMeter(new InMemoryReserveLedger(), time), options, time, NullLogger<ReservePools>.Instance);
        _service = new ImageService(_images, _builder, _pools, _reserves, options, time, NullLogger<ImageService>.Instance);
    }

    public void Dispose() => _root.Dispose();

    private static readonly Dictionary<string, Secret> s_noSecrets = [];

    [Fact]
    public async Task Manual_build_goes_Building_then_Ready_and_auto_activates_when_compatible()
    {
        var start = await _service.StartManualBuildAsync("ws", Valid, s_noSecrets, autoActivate: true, default);

        start.Started.Should().BeTrue();
        start.Image!.Status.Should().Be(ImageStatus.Building);
        var done = await start.Completion!;
        done.Status.Should().Be(ImageStatus.Ready);
        done.Compatible.Should().BeTrue();
        done.Active.Should().BeTrue();
        (await _images.LogAsync(done.Id, default)).Should().Contain("fake build");
        (await _service.ResolveImageAsync("ws", "any", default)).Should().Be(done.ImageRef);
    }

    [Fact]
    public async Task Invalid_manual_dockerfile_is_refused_with_line_numbers()
    {
        var start = await _service.StartManualBuildAsync("ws", "FROM ubuntu\nCOPY . /app\n", s_noSecrets, autoActivate: true, default);

        start.Started.Should().BeFalse();
        start.Errors.Should().Contain(e => e.StartsWith("dockerfile: line 1:")).And.Contain(e => e.StartsWith("dockerfile: line 2:"));
    }

    [Fact]
    public async Task Incompatible_image_is_ready_but_cannot_be_activated()
    {
        _builder.Compatible = false;
        var done = await (await _service.StartManualBuildAsync("ws", Valid, s_noSecrets, autoActivate: true, default)).Completion!;

        done.Status.Should().Be(ImageStatus.Ready);
        done.Active.Should().BeFalse();
        var act = () => _service.ActivateAsync(done.Id, default);
        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*compatibility*");
    }

    [Fact]
    public async Task Failed_build_cannot_be_activated()
    {
        _builder.Succeeds = false;
        var done = await (await _service.StartManualBuildAsync("ws", Valid, s_noSecrets, autoActivate: false, default)).Completion!;

        done.Status.Should().Be(ImageStatus.Failed);
        var act = () => _service.ActivateAsync(done.Id, default);
        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*Failed*");
    }

    [Fact]
    public async Task One_active_image_per_scope_and_deactivation_falls_back_to_the_default_runtime()
    {
        var first = await (await _service.StartManualBuildAsync("ws", Valid, s_noSecrets, autoActivate: true, default)).Completion!;
        var second = await (await _service.StartManualBuildAsync("ws", Valid, s_noSecrets, autoActivate: true, default)).Completion!;

        (await _images.GetAsync(first.Id, default))!.Active.Should().BeFalse();
        (await _images.GetAsync(second.Id, default))!.Active.Should().BeTrue();

        await _service.DeactivateAsync(second.Id, default);
        (await _service.ResolveImageAsync("ws", "main", default)).Should().Be("runner:default");
    }

    [Fact]
    public async Task Repo_build_is_branch_scoped_and_activation_repoints_that_branch_pool()
    {
        File.WriteAllText(_root.File("repo/whim.json"), """{ "image": { "dockerfile": "Dockerfile.whim", "stagedFiles": ["package.json"] } }""");
        File.WriteAllText(_root.File("repo/Dockerfile.whim"), "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nCOPY package.json /app/\n");
        File.WriteAllText(_root.File("repo/package.json"), "{}");
        var main = new ReservePoolKey("ws", "main");
        var other = new ReservePoolKey("ws", "other");
        await _pools.SetTargetAsync(main, 1, "runner:default", true, default);
        await _pools.SetTargetAsync(other, 1, "runner:default", false, default);

        var done = await (await _service.StartRepositoryBuildAsync("ws", "main", new DirectoryRepositoryFiles(Path.Join(_root.Path, "repo")), s_noSecrets, autoActivate: true, default)).Completion!;

        done.Branch.Should().Be("main");
        done.FreshnessHash.Should().HaveLength(64);
        (await _reserves.GetPoolAsync(main, default))!.ImageRef.Should().Be(done.ImageRef);
        (await _reserves.GetPoolAsync(other, default))!.ImageRef.Should().Be("runner:default");
        _builder.LastRequest!.ContextDirectory.Should().Be(Path.Join(_root.Path, "repo", "."));
        ImageService.IsStale(done, done.FreshnessHash!).Should().BeFalse();
        ImageService.IsStale(done, new string('0', 64)).Should().BeTrue();
    }

    [Fact]
    public async Task Repo_build_with_missing_secret_value_or_staged_file_is_refused()
    {
        File.WriteAllText(_root.File("repo/whim.json"), """{ "image": { "dockerfile": "D", "stagedFiles": ["lock.yaml"], "buildSecrets": ["NPM_TOKEN"] } }""");
        File.WriteAllText(_root.File("repo/D"), "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\n");

        var start = await _service.StartRepositoryBuildAsync("ws", "main", new DirectoryRepositoryFiles(Path.Join(_root.Path, "repo")), s_noSecrets, autoActivate: true, default);

        start.Started.Should().BeFalse();
        start.Errors.Should().Contain(e => e.Contains("stagedFiles") && e.Contains("lock.yaml"))
            .And.Contain(e => e.Contains("buildSecrets") && e.Contains("NPM_TOKEN"));
    }

    private sealed class FakeBuilder : IImageBuilder
    {
        public bool Succeeds { get; set; } = true;

        public bool Compatible { get; set; } = true;

        public BuildRequest? LastRequest { get; private set; }

        public Task<bool> BuildAsync(BuildRequest request, Action<string> log, CancellationToken cancellationToken)
        {
            LastRequest = request;
            log("fake build");
            return Task.FromResult(Succeeds);
        }

        public Task<bool> CheckCompatibilityAsync(string imageRef, Action<string> log, CancellationToken cancellationToken) =>
            Task.FromResult(Compatible);
    }
}

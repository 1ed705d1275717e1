using System.Diagnostics;
using Whim.Control.Images.Machines;
using Whim.Testing;
using Xunit;

namespace Whim.Control.Images.Tests.Machines;

/// <summary>
/// The one shared container fixture: podman/buildah with vfs storage and runc, the debootstrap base image (made once by
/// scripts/images/base-image.sh and cached in container storage), and a tiny runner image on top of it (user node and
/// a stub /opt/whim/bin/Whim.Bootstrap) that RUNNER_COMPAT_REF resolves to. Missing tools fail with a clear message.
/// </summary>
public sealed class ContainerFixture : IAsyncLifetime
{
    public const string BaseImage = "localhost/whim-test-base:bookworm";
    public const string RunnerImage = "localhost/whim-test-runner:1";

    private readonly TempRoot _root = new("whim-images-containers-");

    public string ContainersConf => Path.Join(_root.Path, "containers.conf");

    public string Root => _root.Path;

    public ImagesOptions Options { get; private set; } = new();

    public PodmanMachineProvider Provider { get; private set; } = null!;

    /// <summary>A provider that pauses/unpauses through a podman API socket (a <c>podman system service</c> this fixture runs).</summary>
    public PodmanMachineProvider ApiProvider { get; private set; } = null!;

    private Process? _service;

    public async Task InitializeAsync()
    {
        File.WriteAllText(ContainersConf, "[containers]\ndefault_ulimits = []\n");
        Options = new ImagesOptions
        {
            ContainersConf = ContainersConf,
            RunnerImage = RunnerImage,
            MachineDirectory = Path.Join(_root.Path, "machines"),
            BuildDirectory = Path.Join(_root.Path, "builds"),
            MachineNetwork = "none",
        };
        Options.MachineCommand.Add("sleep");
        Options.MachineCommand.Add("infinity");
        Provider = new PodmanMachineProvider(Microsoft.Extensions.Options.Options.Create(Options));

        await Require("podman", "--version");
        await Require("buildah", "--version");
        var script = Path.Join(RepoLayout.Root, "scripts", "images", "base-image.sh");
        (await Run("bash", [script, BaseImage], TimeSpan.FromMinutes(15))).Should0("making the base image with debootstrap");
        if ((await Podman("image", "exists", RunnerImage)).ExitCode != 0)
        {
            var context = Path.Join(_root.Path, "runner");
            Directory.CreateDirectory(context);
            File.WriteAllText(Path.Join(context, "Dockerfile"), $"""
                FROM {BaseImage}
                RUN echo 'node:x:1000:1000::/home/node:/bin/bash' >> /etc/passwd && echo 'node:x:1000:' >> /etc/group \
                 && mkdir -p /home/node /opt/whim/bin && chown 1000:1000 /home/node \
                 && printf '#!/bin/sh\necho "Whim.Bootstrap (test stub)"\n' > /opt/whim/bin/Whim.Bootstrap \
                 && chmod 755 /opt/whim/bin/Whim.Bootstrap
                """);
            (await Run("buildah", ["--storage-driver", "vfs", "bud", "--isolation", "chroot", "-t", RunnerImage, context], TimeSpan.FromMinutes(10))).Should0("building the runner fixture image");
        }

        var socket = Path.Join(_root.Path, "podman.sock");
        var service = new ProcessStartInfo("podman") { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (var argument in (string[])["--storage-driver", "vfs", "--runtime", "runc", "system", "service", "--time", "0", "unix://" + socket])
        {
            service.ArgumentList.Add(argument);
        }

        service.Environment["CONTAINERS_CONF"] = ContainersConf;
        _service = Process.Start(service)!;
        await Eventually.UntilAsync(() => File.Exists(socket), "the podman API socket");
        var api = new ImagesOptions
        {
            ContainersConf = ContainersConf,
            RunnerImage = RunnerImage,
            MachineDirectory = Options.MachineDirectory,
            BuildDirectory = Options.BuildDirectory,
            MachineNetwork = "none",
            PodmanSocket = socket,
        };
        api.MachineCommand.Add("sleep");
        api.MachineCommand.Add("infinity");
        ApiProvider = new PodmanMachineProvider(Microsoft.Extensions.Options.Options.Create(api));
    }

    public async Task DisposeAsync()
    {
        ApiProvider?.Dispose();
        Provider?.Dispose();
        if (_service is not null)
        {
            _service.Kill();
            await _service.WaitForExitAsync();
            _service.Dispose();
        }

        _root.Dispose();
    }

    /// <summary>Runs podman with the fixture's storage, runtime and containers.conf.</summary>
    public Task<(int ExitCode, string Output)> Podman(params string[] arguments) =>
        Run("podman", ["--storage-driver", "vfs", "--runtime", "runc", .. arguments], TimeSpan.FromMinutes(5));

    public async Task<(int ExitCode, string Output)> Run(string file, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["CONTAINERS_CONF"] = ContainersConf;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task Require(string tool, string argument)
    {
        try
        {
            await Run(tool, [argument], TimeSpan.FromMinutes(1));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{tool} is not installed: run scripts/deps/images.sh");
        }
    }
}

internal static class RunResultExtensions
{
    public static void Should0(this (int ExitCode, string Output) result, string what)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed ({result.ExitCode}): {result.Output}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ContainerCollection : ICollectionFixture<ContainerFixture>
{
    public const string Name = "containers";
}

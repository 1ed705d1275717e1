using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
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
using Xunit;

namespace Whim.Control.Images.Tests.Builds;

/// <summary>A repo-managed config built for real with buildah from the local debootstrap base; secrets stay out of logs and layers.</summary>
[Collection(ContainerCollection.Name)]
public sealed class BuildahBuildTests(ContainerFixture containers)
{
    [Fact]
    public async Task Repo_managed_build_is_ready_compatible_and_leaks_no_secret()
    {
        var secret = "npm_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var repo = Path.Join(containers.Root, "repo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(repo);
        File.WriteAllText(Path.Join(repo, "whim.json"), """
            { "image": { "dockerfile": "Dockerfile.whim", "context": ".", "stagedFiles": ["package.json"], "buildSecrets": ["NPM_TOKEN"] } }
            """);
        File.WriteAllText(Path.Join(repo, "package.json"), """{"name":"demo"}""");
        File.WriteAllText(Path.Join(repo, "unstaged.txt"), "not part of the build");
        File.WriteAllText(Path.Join(repo, "Dockerfile.whim"), """
            # syntax=docker/dockerfile:1
            ARG RUNNER_COMPAT_REF
            FROM ${RUNNER_COMPAT_REF} AS tools
            RUN echo built-in-stage > /stage.txt

            FROM ${RUNNER_COMPAT_REF}
            COPY package.json /app/package.json
            COPY --from=tools /stage.txt /app/stage.txt
            # The secret is mounted only for this RUN; printing it tests the log redaction, hashing it proves the mount.
            RUN --mount=type=secret,id=NPM_TOKEN \
                cat /run/secrets/NPM_TOKEN && echo && sha256sum /run/secrets/NPM_TOKEN | cut -c1-64 > /app/secret.sha256
            """);

        var options = Options.Create(containers.Options);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var images = new InMemoryImageStore();
        var reserves = new InMemoryReserveStore();
        var pools = new ReservePools(reserves, containers.Provider, new ReserveBillingMeter(new InMemoryReserveLedger(), time), options, time, NullLogger<ReservePools>.Instance);
        var service = new ImageService(images, new BuildahImageBuilder(options, containers.Provider), pools, reserves, options, time, NullLogger<ImageService>.Instance);

        var start = (await service.StartRepositoryBuildAsync("ws-build", "main", new DirectoryRepositoryFiles(repo),
            new Dictionary<string, Secret> { ["NPM_TOKEN"] = new(secret) }, autoActivate: true, default));
        start.Errors.Should().BeEmpty();
        var image = await start.Completion!;
        var log = string.Join('\n', (await images.LogAsync(image.Id, default)));
        try
        {
            image.Status.Should().Be(ImageStatus.Ready, log);
            image.Compatible.Should().BeTrue(log);
            image.Active.Should().BeTrue();

            // The secret was really mounted (its hash is in the image) ...
            var sha = await containers.Podman("run", "--rm", "--network", "none", image.ImageRef, "cat", "/app/secret.sha256", "/app/stage.txt", "/app/package.json");
            sha.Output.Should().Contain(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))).And.Contain("built-in-stage").And.Contain("demo");
            (await containers.Podman("run", "--rm", "--network", "none", image.ImageRef, "ls", "/run/secrets")).Output.Should().NotContain("NPM_TOKEN");

            // ... but its value is in neither the log nor any layer.
            log.Should().Contain(SecretRedactor.Mask).And.NotContain(secret);
            var archive = Path.Join(containers.Root, image.Id + ".tar");
            (await containers.Podman("save", "--format", "docker-archive", "-o", archive, image.ImageRef)).Should0("podman save");
            var layers = ScanLayers(archive, Encoding.UTF8.GetBytes(secret));
            layers.Scanned.Should().BeGreaterThanOrEqualTo(2, "the base layer and the build's layer");
            layers.Containing.Should().BeEmpty();
            File.Delete(archive);
        }
        finally
        {
            await containers.Podman("rmi", "-f", image.ImageRef);
        }
    }

    [Fact]
    public async Task Image_without_the_runtime_fails_the_compatibility_check()
    {
        var options = Options.Create(new ImagesOptions
        {
            ContainersConf = containers.ContainersConf,
            RunnerImage = ContainerFixture.BaseImage, // plain Debian: no user node, no Whim binaries
            BuildDirectory = containers.Options.BuildDirectory,
            MachineDirectory = containers.Options.MachineDirectory,
        });
        var builder = new BuildahImageBuilder(options, containers.Provider);
        var lines = new List<string>();

        var compatible = await builder.CheckCompatibilityAsync(ContainerFixture.BaseImage, lines.Add, default);

        compatible.Should().BeFalse();
        lines.Should().Contain(l => l.StartsWith("not compatible"));
        (await builder.CheckCompatibilityAsync(ContainerFixture.RunnerImage, lines.Add, default)).Should().BeTrue(string.Join('\n', lines));
    }

    private static (int Scanned, List<string> Containing) ScanLayers(string archive, byte[] needle)
    {
        var scanned = 0;
        var containing = new List<string>();
        using var outer = new TarReader(File.OpenRead(archive));
        while (outer.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is null || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                continue;
            }

            using var data = new MemoryStream();
            entry.DataStream.CopyTo(data);
            var bytes = data.ToArray();
            if (bytes.Length > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            {
                using var gunzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gunzip.CopyTo(plain);
                bytes = plain.ToArray();
            }

            if (IsTar(bytes))
            {
                scanned++;
            }

            if (bytes.AsSpan().IndexOf(needle) >= 0)
            {
                containing.Add(entry.Name);
            }
        }

        return (scanned, containing);
    }

    private static bool IsTar(byte[] bytes) => bytes.Length > 262 && Encoding.ASCII.GetString(bytes, 257, 5) == "ustar";
}

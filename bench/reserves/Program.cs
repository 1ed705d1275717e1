using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Whim.Control.Images;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Machines;
using Whim.Control.Images.Reserves;

// Usage: dotnet run --project bench/reserves -- [rounds] [image]
// Measures, in one run on this machine: claim-to-running of a warm (paused) podman reserve — unpause + check it
// runs + config injection — against a cold create (create + start + injection) of the same image, through the podman
// CLI and through the podman API socket (a `podman system service` this bench starts and stops). Goal: warm ≤ 200 ms.
var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
var image = args.Length > 1 ? args[1] : "localhost/whim-test-base:bookworm";
var root = Directory.CreateTempSubdirectory("whim-bench-reserves-").FullName;
var conf = Path.Join(root, "containers.conf");
File.WriteAllText(conf, "[containers]\ndefault_ulimits = []\n");
var script = Path.Join(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "scripts", "images", "base-image.sh");
if (args.Length <= 1)
{
    using var make = Process.Start("bash", [Path.GetFullPath(script), image]);
    await make.WaitForExitAsync();
    if (make.ExitCode != 0)
    {
        Console.Error.WriteLine("could not make the base image (run scripts/deps/images.sh first)");
        return 1;
    }
}

var cli = NewOptions(socket: string.Empty);
var socketPath = Path.Join(root, "podman.sock");
var service = StartPodmanService(socketPath);
var created = new List<string>();
try
{
    var sock = Stopwatch.StartNew();
    while (!File.Exists(socketPath) && sock.Elapsed < TimeSpan.FromSeconds(30))
    {
        await Task.Delay(20); // waiting for an external process to create its socket; no signal exists
    }

    using var cliProvider = new PodmanMachineProvider(Options.Create(cli));
    var (cliWarm, cliCold) = await Measure(cliProvider, cli, "cli");
    var api = NewOptions(socketPath);
    using var apiProvider = new PodmanMachineProvider(Options.Create(api));
    var (apiWarm, apiCold) = await Measure(apiProvider, api, "api");
    Console.WriteLine($"reserves ({rounds} rounds, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}):");
    Console.WriteLine($"  warm claim-to-running via podman API socket: median {Percentile(apiWarm, 50):0} ms, p95 {Percentile(apiWarm, 95):0} ms");
    Console.WriteLine($"  warm claim-to-running via podman CLI:        median {Percentile(cliWarm, 50):0} ms, p95 {Percentile(cliWarm, 95):0} ms");
    Console.WriteLine($"  cold create via podman API socket:           median {Percentile(apiCold, 50):0} ms, p95 {Percentile(apiCold, 95):0} ms");
    Console.WriteLine($"  cold create via podman CLI:                  median {Percentile(cliCold, 50):0} ms, p95 {Percentile(cliCold, 95):0} ms");
    Console.WriteLine($"  goal warm <= 200 ms (API socket, median): {(Percentile(apiWarm, 50) <= 200 ? "met" : "not met")}; cold/warm {Percentile(apiCold, 50) / Percentile(apiWarm, 50):0.0}x");
    return 0;
}
finally
{
    // Cleanup through the CLI, which needs neither the (disposed) measured providers nor the API service.
    try
    {
        using var cleanup = new PodmanMachineProvider(Options.Create(cli));
        foreach (var id in created)
        {
            try
            {
                await cleanup.RemoveAsync(id, CancellationToken.None);
            }
            catch (MachineProviderException e)
            {
                Console.Error.WriteLine($"could not remove {id}: {e.Message}");
            }
        }
    }
    finally
    {
        service.Kill();
        await service.WaitForExitAsync();
        service.Dispose();
        Directory.Delete(root, recursive: true);
    }
}

ImagesOptions NewOptions(string socket)
{
    var options = new ImagesOptions { ContainersConf = conf, MachineDirectory = Path.Join(root, "machines"), MachineNetwork = "none", RunnerImage = image, PodmanSocket = socket };
    options.MachineCommand.Add("sleep");
    options.MachineCommand.Add("infinity");
    return options;
}

Process StartPodmanService(string path)
{
    var info = new ProcessStartInfo("podman") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in (string[])["--storage-driver", "vfs", "--runtime", "runc", "system", "service", "--time", "0", "unix://" + path])
    {
        info.ArgumentList.Add(argument);
    }

    info.Environment["CONTAINERS_CONF"] = conf;
    return Process.Start(info)!;
}

// Nearest-rank percentile of a sorted sample.
static double Percentile(List<double> sorted, int percent) => sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

async Task<(List<double> Warm, List<double> Cold)> Measure(PodmanMachineProvider provider, ImagesOptions options, string label)
{
    var store = new InMemoryReserveStore();
    var pools = new ReservePools(store, provider, new ReserveBillingMeter(new InMemoryReserveLedger(), TimeProvider.System), Options.Create(options), TimeProvider.System, NullLogger<ReservePools>.Instance);
    var key = new ReservePoolKey("bench", label);
    var warm = new List<double>();
    var cold = new List<double>();
    await pools.SetTargetAsync(key, 1, image, defaultBranch: true, CancellationToken.None);
    try
    {
        for (var round = 0; round < rounds; round++)
        {
            await pools.ReconcileAsync(key, CancellationToken.None); // refill: one paused reserve, outside the timing
            var claim = await pools.ClaimAsync(key, image, "{\"taskId\":\"bench\"}"u8.ToArray(), CancellationToken.None);
            created.Add(claim.MachineId);
            await Check(provider, claim, expectWarm: true);
            warm.Add(claim.Elapsed.TotalMilliseconds);

            var coldClaim = await pools.ClaimAsync(new ReservePoolKey("bench", label + "-cold"), image, "{\"taskId\":\"bench\"}"u8.ToArray(), CancellationToken.None);
            created.Add(coldClaim.MachineId);
            await Check(provider, coldClaim, expectWarm: false);
            cold.Add(coldClaim.Elapsed.TotalMilliseconds);
            Console.WriteLine($"{label} round {round + 1}: warm claim-to-running {claim.Elapsed.TotalMilliseconds:0} ms, cold create {coldClaim.Elapsed.TotalMilliseconds:0} ms");
        }
    }
    finally
    {
        created.AddRange((await store.MachinesAsync(key, CancellationToken.None)).Select(m => m.MachineId));
    }

    warm.Sort();
    cold.Sort();
    return (warm, cold);
}

static async Task Check(PodmanMachineProvider provider, MachineClaim claim, bool expectWarm)
{
    var state = (await provider.InspectAsync(claim.MachineId, CancellationToken.None)).State;
    if (claim.Warm != expectWarm || state != MachineState.Running)
    {
        throw new InvalidOperationException($"expected a {(expectWarm ? "warm" : "cold")} running machine, got warm={claim.Warm} state={state}");
    }
}

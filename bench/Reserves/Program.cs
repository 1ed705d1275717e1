using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Whim.Control.Images;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Machines;
using Whim.Control.Images.Reserves;

// Usage: dotnet run --project bench/Reserves -- [rounds] [image]
// Measures, in one run on this machine: claim-to-running of a warm (paused) podman reserve — unpause + config
// injection — against a cold create (create + start + injection) of the same image. Goal: warm ≤ 200 ms.
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

var options = new ImagesOptions { ContainersConf = conf, MachineDirectory = Path.Join(root, "machines"), MachineNetwork = "none", RunnerImage = image };
options.MachineCommand.Add("sleep");
options.MachineCommand.Add("infinity");
var provider = new PodmanMachineProvider(Options.Create(options));
var store = new InMemoryReserveStore();
var pools = new ReservePools(store, provider, new ReserveBillingMeter(new InMemoryReserveLedger(), TimeProvider.System), Options.Create(options), TimeProvider.System, NullLogger<ReservePools>.Instance);
var key = new ReservePoolKey("bench", "main");
var warm = new List<double>();
var cold = new List<double>();
var machines = new List<string>();
try
{
    pools.SetTarget(key, 1, image, defaultBranch: true);
    for (var round = 0; round < rounds; round++)
    {
        await pools.ReconcileAsync(key, CancellationToken.None); // refill: one paused reserve, outside the timing
        var claim = await pools.ClaimAsync(key, image, "{\"taskId\":\"bench\"}"u8.ToArray(), CancellationToken.None);
        machines.Add(claim.MachineId);
        Check(claim, expectWarm: true);
        warm.Add(claim.Elapsed.TotalMilliseconds);

        var coldClaim = await pools.ClaimAsync(new ReservePoolKey("bench", "cold"), image, "{\"taskId\":\"bench\"}"u8.ToArray(), CancellationToken.None);
        machines.Add(coldClaim.MachineId);
        Check(coldClaim, expectWarm: false);
        cold.Add(coldClaim.Elapsed.TotalMilliseconds);
        Console.WriteLine($"round {round + 1}: warm claim-to-running {claim.Elapsed.TotalMilliseconds:0} ms, cold create {coldClaim.Elapsed.TotalMilliseconds:0} ms");
    }

    warm.Sort();
    cold.Sort();
    var warmMedian = warm[warm.Count / 2];
    var coldMedian = cold[cold.Count / 2];
    Console.WriteLine($"reserves: warm claim-to-running median {warmMedian:0} ms (min {warm[0]:0}, max {warm[^1]:0}); " +
        $"cold create median {coldMedian:0} ms (min {cold[0]:0}, max {cold[^1]:0}); cold/warm {coldMedian / warmMedian:0.0}x; " +
        $"goal <= 200 ms: {(warmMedian <= 200 ? "met" : "not met")} ({Environment.ProcessorCount} cores)");
    return 0;
}
finally
{
    foreach (var machine in machines.Concat(store.Machines(key).Select(m => m.MachineId)))
    {
        await provider.RemoveAsync(machine, CancellationToken.None);
    }

    Directory.Delete(root, recursive: true);
}

void Check(MachineClaim claim, bool expectWarm)
{
    var state = provider.InspectAsync(claim.MachineId, CancellationToken.None).GetAwaiter().GetResult().State;
    if (claim.Warm != expectWarm || state != MachineState.Running)
    {
        throw new InvalidOperationException($"expected a {(expectWarm ? "warm" : "cold")} running machine, got warm={claim.Warm} state={state}");
    }
}

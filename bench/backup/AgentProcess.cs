using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Whim.BackupAgent.Tests.Functional;

namespace Whim.Bench.Backup;

/// <summary>What to run and how much to write.</summary>
internal sealed record BenchSettings(string Agent, int Megabytes, int WriteBytes)
{
    public static BenchSettings Parse(string[] args)
    {
        string? agent = null;
        var megabytes = 200;
        var writeBytes = 1024;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--agent": agent = args[i + 1]; break;
                case "--megabytes": megabytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--write-bytes": writeBytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"{args[i]}: unknown option (use --agent, --megabytes, --write-bytes)");
            }
        }

        return new BenchSettings(agent ?? DefaultAgent(), megabytes, writeBytes);
    }

    // The Debug/Release build output next to this repository, when no AOT binary is named.
    private static string DefaultAgent()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Join(dir.FullName, "Whim.sln")))
        {
            dir = dir.Parent;
        }

        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var dll = Path.Join(dir?.FullName ?? ".", "runtime/BackupAgent/bin", configuration, "net10.0/Whim.BackupAgent.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new InvalidOperationException("--agent: no built Whim.BackupAgent found; build runtime/BackupAgent or name the AOT binary");
    }
}

/// <summary>The agent under measurement, with its CPU and memory read from <c>/proc</c>.</summary>
internal sealed class AgentProcess : IDisposable
{
    private readonly Process _process;

    private AgentProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static AgentProcess Start(string agent, string root, string apiUrl, ControlTask task)
    {
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        var info = agent.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet") { ArgumentList = { agent } } : new ProcessStartInfo(agent);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.Environment["WHIM_ROOT"] = root;
        info.Environment["WHIM_API_URL"] = apiUrl;
        info.Environment["WHIM_INTERNAL_API_TOKEN"] = task.Token;
        info.Environment["WHIM_TASK_ID"] = task.Id;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info)!;
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AgentProcess(process, new Uri($"http://127.0.0.1:{port}/"));
    }

    public async Task WaitHealthyAsync(HttpClient http)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"agent exited with {_process.ExitCode}");
            }

            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("agent /healthz did not answer within 60 s");
    }

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public long RssBytes() => StatusKilobytes("VmRSS:") * 1024;

    public long PeakRssBytes() => StatusKilobytes("VmHWM:") * 1024;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private long StatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}

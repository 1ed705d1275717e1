using System.Diagnostics;
using System.Security.Cryptography;
using Whim.Bench.Backup;
using Whim.BackupAgent.Tests.Functional;

// Usage: dotnet run --project bench/backup -c Release -- [--agent <AOT binary or .dll>] [--megabytes 200] [--write-bytes 1024]
var settings = BenchSettings.Parse(args);
var root = Directory.CreateTempSubdirectory("whim-bench-backup-").FullName;
try
{
    await using var backend = await ControlBackend.StartAsync(Path.Join(root, "control"));
    var task = await backend.CreateTaskAsync("Backup bench");
    var home = Path.Join(root, "home", "node");
    var session = Path.Join(home, ".claude", "projects", "-app", "bench-session.jsonl");
    Directory.CreateDirectory(Path.GetDirectoryName(session)!);
    const string Stream = "claude/projects/-app/bench-session.jsonl";

    using var agent = AgentProcess.Start(settings.Agent, root, backend.BaseUrl, task);
    using var http = new HttpClient { BaseAddress = agent.BaseAddress, Timeout = TimeSpan.FromMinutes(15) };
    await agent.WaitHealthyAsync(http);
    var startCpu = agent.CpuSeconds();

    var total = (long)settings.Megabytes * 1024 * 1024;
    var line = new byte[settings.WriteBytes];
    Array.Fill(line, (byte)'x');
    line[^1] = (byte)'\n';
    long maxLag = 0;
    long maxRss = 0;
    var clock = Stopwatch.StartNew();
    // The writer gets its own thread so the control API's Kestrel in this process keeps its thread-pool threads.
    await Task.Factory.StartNew(
        () =>
        {
            using (var file = new FileStream(session, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1))
            {
                var nextSample = TimeSpan.Zero;
                for (long written = 0; written < total; written += line.Length)
                {
                    file.Write(line);
                    if (clock.Elapsed >= nextSample)
                    {
                        maxLag = Math.Max(maxLag, written + line.Length - Math.Max(0, backend.LengthAsync(task.Id, Stream).GetAwaiter().GetResult()));
                        maxRss = Math.Max(maxRss, agent.RssBytes());
                        nextSample = clock.Elapsed + TimeSpan.FromMilliseconds(100);
                    }
                }
            }
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

    var writeSeconds = clock.Elapsed.TotalSeconds;
    var lagAtWriteEnd = total - Math.Max(0, await backend.LengthAsync(task.Id, Stream));
    using (var flush = await http.PostAsync("backup?timeout=900", null))
    {
        flush.EnsureSuccessStatusCode();
    }

    var drainSeconds = clock.Elapsed.TotalSeconds - writeSeconds;
    var agentCpu = agent.CpuSeconds() - startCpu;
    maxRss = Math.Max(maxRss, agent.RssBytes());
    var peakRss = agent.PeakRssBytes();
    var held = await backend.BytesAsync(task.Id, Stream);
    var identical = held is not null && SHA256.HashData(held).AsSpan().SequenceEqual(Sha256Of(session));

    // Peer: the same bytes PUT directly by this process in 1 MiB chunks, the floor for any uploader.
    var peerSeconds = await DirectUploadSecondsAsync(backend, task.Id, session);

    Console.WriteLine($"backup bench: {settings.Megabytes} MB in {settings.WriteBytes} B writes, agent {settings.Agent}, backend: the control API (SQLite)");
    Console.WriteLine($"  machine load average  {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores (wall times scale with it; CPU and RSS do not)");
    Console.WriteLine(FormattableString.Invariant($"  write time            {writeSeconds,8:0.00} s"));
    Console.WriteLine(FormattableString.Invariant($"  max lag while writing {maxLag / 1048576.0,8:0.0} MB"));
    Console.WriteLine(FormattableString.Invariant($"  lag at end of writes  {lagAtWriteEnd / 1048576.0,8:0.0} MB, drained by POST /backup in {drainSeconds:0.00} s"));
    Console.WriteLine(FormattableString.Invariant($"  agent CPU             {agentCpu,8:0.00} s ({agentCpu / settings.Megabytes * 1000:0.0} ms per MB)"));
    Console.WriteLine(FormattableString.Invariant($"  agent peak RSS        {peakRss / 1048576.0,8:0.0} MB (max sampled {maxRss / 1048576.0:0.0} MB)"));
    Console.WriteLine(FormattableString.Invariant($"  backend copy          {(identical ? "byte-identical" : "DIFFERENT")}"));
    Console.WriteLine(FormattableString.Invariant($"  peer: direct 1 MiB PUTs of the file {peerSeconds:0.00} s; agent end-to-end {(writeSeconds + drainSeconds):0.00} s (ratio {(writeSeconds + drainSeconds) / peerSeconds:0.00})"));
    return identical ? 0 : 1;
}
finally
{
    Directory.Delete(root, recursive: true);
}

static byte[] Sha256Of(string path)
{
    using var stream = File.OpenRead(path);
    return SHA256.HashData(stream);
}

static async Task<double> DirectUploadSecondsAsync(ControlBackend backend, string taskId, string path)
{
    var buffer = new byte[1024 * 1024];
    var clock = Stopwatch.StartNew();
    await using var file = File.OpenRead(path);
    long offset = 0;
    int read;
    while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
    {
        await backend.AppendAsync(taskId, "other/peer-copy", offset, buffer[..read]);
        offset += read;
    }

    return clock.Elapsed.TotalSeconds;
}

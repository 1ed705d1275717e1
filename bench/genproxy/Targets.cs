using System.Net.Sockets;
using Whim.Testing;

namespace Whim.Bench.GenerationProxy;

/// <summary>A process the bench talks to.</summary>
internal sealed class Target(RunningProcess process, string url, string description) : IAsyncDisposable
{
    public string Url { get; } = url;

    public int Pid => process.Id;

    public string Description { get; } = description;

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Signal(15);
            try
            {
                await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
            }
        }

        await process.DisposeAsync();
    }
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("whim-genproxy-bench-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Targets
{
    public static async Task<Target> StartProxyAsync(string? binary, string upstream, string root)
    {
        var port = LoopbackPort.Reserve();
        List<string> settings =
        [
            "--urls", $"http://127.0.0.1:{port}", "--ROOT", root, "--AGENT_KEY", Measure.Placeholder,
            "--LOG_LEVEL", "Warning",
            "--PROVIDERS:ANTHROPIC:BASEURL", upstream, "--PROVIDERS:ANTHROPIC:APIKEY", "sk-ant-bench-real",
        ];
        ProcessSpec spec;
        string description;
        if (binary is not null && File.Exists(binary))
        {
            spec = new ProcessSpec(binary, settings);
            description = "AOT " + binary;
        }
        else
        {
            var dll = System.IO.Path.Join(AppContext.BaseDirectory, "../../../../../runtime/GenerationProxy/bin/Release/net10.0/Whim.GenerationProxy.dll");
            spec = new ProcessSpec("dotnet", [System.IO.Path.GetFullPath(dll), .. settings]);
            description = "JIT " + dll + " (pass the AOT binary for the RSS targets)";
        }

        var process = RunningProcess.Start(spec);
        await WaitForPortAsync(port, process);
        return new Target(process, $"http://127.0.0.1:{port}", description);
    }

    public static async Task<Target?> StartNginxAsync(string upstream, string root)
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);
        if (nginx is null)
        {
            return null;
        }

        var port = LoopbackPort.Reserve();
        var dir = System.IO.Path.Join(root, "nginx");
        Directory.CreateDirectory(System.IO.Path.Join(dir, "logs"));
        var conf = System.IO.Path.Join(dir, "nginx.conf");
        await File.WriteAllTextAsync(conf, $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/logs/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              fastcgi_temp_path {{dir}}/fastcgi;
              uwsgi_temp_path {{dir}}/uwsgi;
              scgi_temp_path {{dir}}/scgi;
              upstream standin { server {{new Uri(upstream).Authority}}; keepalive 64; }
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://standin;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_buffering off;
                  proxy_request_buffering off;
                  proxy_read_timeout 600s;
                }
              }
            }
            """);
        var process = RunningProcess.Start(new ProcessSpec(nginx, ["-p", dir, "-c", conf]));
        await WaitForPortAsync(port, process);
        return new Target(process, $"http://127.0.0.1:{port}", "nginx");
    }

    private static async Task WaitForPortAsync(int port, RunningProcess process) =>
        await Eventually.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("exited early:\n" + process.Output);
                }

                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync("127.0.0.1", port);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            $"port {port}");
}

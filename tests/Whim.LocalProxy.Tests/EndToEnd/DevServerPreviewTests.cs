using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests.EndToEnd;

/// <summary>Real dev servers started after the suite: they appear in the port table and are reachable through the proxy.</summary>
[Collection(PreviewStackCollection.Name)]
public sealed class DevServerPreviewTests(PreviewStack stack)
{
    [Fact]
    public async Task A_python_http_server_appears_with_its_process_name_is_proxied_and_disappears_when_closed()
    {
        using var site = new TempRoot("whim-py-");
        File.WriteAllText(Path.Join(site.Path, "index.html"), "<h1>hello from python</h1>");
        var process = RunningProcess.Start(new ProcessSpec("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"]) { WorkingDirectory = site.Path });
        int port;
        await using (process)
        {
            port = await PreviewStack.PrintedPortAsync(process, "python http.server");

            var entry = await Eventually.ValueAsync(async () => await stack.ReadyEntryAsync(port) is { } e ? new Box(e) : null, "python port ready in the table");
            entry.Value.GetProperty("process").GetString().Should().StartWith("python");
            entry.Value.GetProperty("command").GetString().Should().Contain("http.server");
            entry.Value.GetProperty("family").GetString().Should().Be("ipv4");
            entry.Value.GetProperty("address").GetString().Should().Be("127.0.0.1");
            var body = await ProxiedBodyAsync(port);
            body.Should().Contain("hello from python");
        }

        await Eventually.UntilAsync(async () => !await stack.ListsAsync(port), "python port removed after the server exited");
        await Eventually.UntilAsync(async () => (await stack.GetThroughProxyAsync(port)).Status == 503, "the proxy answers 503 once the table no longer lists the port");
    }

    [Fact]
    public async Task A_node_server_appears_as_node_and_is_proxied()
    {
        const string script = "require('http').createServer((q,s)=>s.end('hello from node')).listen(0,'127.0.0.1',function(){console.log('PORT='+this.address().port)})";
        await using var process = RunningProcess.Start(new ProcessSpec("node", ["-e", script]));
        var port = await PreviewStack.PrintedPortAsync(process, "node server");

        var entry = await Eventually.ValueAsync(async () => await stack.ReadyEntryAsync(port) is { } e ? new Box(e) : null, "node port ready in the table");
        entry.Value.GetProperty("process").GetString().Should().Be("node");
        entry.Value.GetProperty("pid").GetInt32().Should().Be(process.Id);
        var body = await ProxiedBodyAsync(port);
        body.Should().Be("hello from node");
    }

    [Fact]
    public async Task Vite_HMR_works_in_headless_chromium_through_the_preview_url()
    {
        var vite = Path.Join(RepoLayout.Root, "tools/previews/node_modules/vite/bin/vite.js");
        var check = Path.Join(RepoLayout.Root, "tools/previews/hmr-check.mjs");
        File.Exists(vite).Should().BeTrue("Vite must be installed: run scripts/deps/previews.sh");
        File.Exists("/usr/bin/chromium").Should().BeTrue("Debian's chromium must be installed: run scripts/deps/previews.sh");

        using var app = new TempRoot("whim-vite-");
        File.WriteAllText(Path.Join(app.Path, "index.html"), """<!doctype html><html><body><div id="app"></div><script type="module" src="/main.js"></script></body></html>""");
        File.WriteAllText(Path.Join(app.Path, "message.js"), "export const message = 'before edit';\n");
        File.WriteAllText(Path.Join(app.Path, "main.js"), """
            import { message } from './message.js';
            window.__marker ??= Math.random();
            const render = (m) => { document.querySelector('#app').textContent = m; };
            render(message);
            if (import.meta.hot) {
              import.meta.hot.accept('./message.js', (mod) => render(mod.message));
            }
            """);
        var vitePort = LoopbackPort.Reserve();
        await using var server = RunningProcess.Start(new ProcessSpec("node", [vite, app.Path, "--port", vitePort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--strictPort", "--host", "127.0.0.1", "--clearScreen", "false"]) { WorkingDirectory = app.Path });
        var entry = await Eventually.ValueAsync(async () => await stack.ReadyEntryAsync(vitePort) is { } e ? new Box(e) : null, "vite port ready in the table:\n" + server.Output);
        entry.Value.GetProperty("process").GetString().Should().Be("node");

        var url = $"http://{vitePort}.localhost:{stack.Proxy.BaseAddress.Port}/";
        await using var browser = RunningProcess.Start(new ProcessSpec("node", [check, url, "before edit", "after edit"]) { WorkingDirectory = Path.Join(RepoLayout.Root, "tools/previews") });
        await browser.WaitForLineAsync(l => l == "LOADED", "chromium to load the Vite app through the proxy", TimeSpan.FromSeconds(90));
        File.WriteAllText(Path.Join(app.Path, "message.js"), "export const message = 'after edit';\n");

        var result = await browser.WaitForLineAsync(l => l.StartsWith("HMR-OK", StringComparison.Ordinal), "the edit to show up in the page", TimeSpan.FromSeconds(60));
        result.Should().Contain($"ws://{vitePort}.localhost:{stack.Proxy.BaseAddress.Port}/", "the HMR WebSocket goes through the preview URL");
        result.Should().Contain("\"reloaded\":false", "the module was hot-replaced, not reloaded");
        (await browser.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, browser.Output);
    }

    // The table file is written before the monitor's HTTP view changes; the proxy's watcher follows within milliseconds.
    private async Task<string> ProxiedBodyAsync(int port) =>
        await Eventually.ValueAsync(async () => await stack.GetThroughProxyAsync(port) is (200, var body) ? body : null, $"port {port} reachable through the proxy", TimeSpan.FromSeconds(5));

    private sealed record Box(System.Text.Json.JsonElement Value);
}

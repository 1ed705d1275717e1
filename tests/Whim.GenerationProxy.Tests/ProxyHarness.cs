using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Whim.Testing;

namespace Whim.GenerationProxy.Tests;

/// <summary>A stand-in provider and the proxy in front of it, both on ephemeral loopback ports, in this process.</summary>
public sealed class ProxyHarness : IAsyncDisposable
{
    public const string Placeholder = "whim-placeholder-key";
    public const string AnthropicKey = "sk-ant-real-anthropic-key-0001";
    public const string OpenAIKey = "sk-real-openai-key-0002";
    public const string OpenRouterKey = "sk-or-real-openrouter-key-0003";

    private ProxyHarness(TempRoot root, ProviderStandIn standIn, StartedApp proxy)
    {
        Root = root;
        StandIn = standIn;
        Proxy = proxy;
    }

    public TempRoot Root { get; }

    public ProviderStandIn StandIn { get; }

    public StartedApp Proxy { get; }

    public HttpClient Client => Proxy.Client;

    public string StateFile => Path.Join(Root.Path, "state", "claude_state");

    public string GenerationLog => Path.Join(Root.Path, "logs", "generations.jsonl");

    /// <summary>The settings the harness gives the proxy, as command-line pairs.</summary>
    public static List<string> Arguments(string root, string upstream, params string[] extra) =>
    [
        "--ROOT", root,
        "--AGENT_KEY", Placeholder,
        "--TASK_ID", "task-test-1",
        "--STATE_FILE", Path.Join(root, "state", "claude_state"),
        "--LOG_DIR", Path.Join(root, "logs"),
        "--PROVIDERS:ANTHROPIC:BASEURL", upstream,
        "--PROVIDERS:ANTHROPIC:APIKEY", AnthropicKey,
        "--PROVIDERS:OPENAI:BASEURL", upstream,
        "--PROVIDERS:OPENAI:APIKEY", OpenAIKey,
        "--PROVIDERS:OPENROUTER:BASEURL", upstream,
        "--PROVIDERS:OPENROUTER:APIKEY", OpenRouterKey,
        "--PROXY:IDLEDEBOUNCE", "00:00:00.200",
        "--PROXY:RETRYBASEDELAY", "00:00:00.010",
        "--PROXY:RETRYMAXDELAY", "00:00:00.050",
        .. extra,
    ];

    public static async Task<ProxyHarness> StartAsync(params string[] extra)
    {
        var root = new TempRoot("whim-genproxy-");
        var standIn = await ProviderStandIn.StartAsync();
        var args = Arguments(root.Path, standIn.BaseUrl, extra);
        var proxy = await StartedApp.StartAsync(GenerationProxyApp.Build(["--urls", "http://127.0.0.1:0", .. args]));
        proxy.Client.Timeout = TimeSpan.FromMinutes(5);
        return new ProxyHarness(root, standIn, proxy);
    }

    /// <summary>A request as the given provider's SDK would send it, carrying the placeholder.</summary>
    public static HttpRequestMessage Generation(string provider, bool stream, string? key = Placeholder)
    {
        var (path, body) = provider switch
        {
            "anthropic" => ("v1/messages", $$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{Bool(stream)}},"messages":[{"role":"user","content":"hi"}]}"""),
            "openai-chat" => ("v1/chat/completions", $$"""{"model":"gpt-5","stream":{{Bool(stream)}},"stream_options":{{(stream ? """{"include_usage":true}""" : "null")}},"messages":[{"role":"user","content":"hi"}]}"""),
            "openai-responses" => ("v1/responses", $$"""{"model":"gpt-5","stream":{{Bool(stream)}},"input":"hi"}"""),
            "openrouter" => ("api/v1/chat/completions", $$"""{"model":"anthropic/claude-sonnet-4.5","stream":{{Bool(stream)}},"messages":[{"role":"user","content":"hi"}]}"""),
            _ => throw new ArgumentOutOfRangeException(nameof(provider)),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            if (provider == "anthropic")
            {
                request.Headers.TryAddWithoutValidation("x-api-key", key);
                request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
            }
            else
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        }

        return request;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>The generation log's lines once it holds at least <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<JsonElement>> LogLinesAsync(int count)
    {
        IReadOnlyList<JsonElement> lines = [];
        await Eventually.UntilAsync(
            () =>
            {
                if (!File.Exists(GenerationLog))
                {
                    return false;
                }

                using var stream = new FileStream(GenerationLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
                return lines.Count >= count;
            },
            $"{count} generation log lines");
        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await StandIn.DisposeAsync();
        Root.Dispose();
    }
}

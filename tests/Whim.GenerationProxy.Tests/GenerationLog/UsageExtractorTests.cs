using System.Text;
using FluentAssertions;
using FsCheck.Xunit;
using Whim.GenerationProxy.GenerationLog;
using Whim.GenerationProxy.Providers;
using Xunit;

namespace Whim.GenerationProxy.Tests.GenerationLog;

public sealed class UsageExtractorTests
{
    private const string AnthropicStream =
        "event: message_start\n" +
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XF\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\n\n" +
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
        "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \\\"id\\\": x\"}}\n\n" +
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    private const string ChatStream =
        "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-5\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n" +
        "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-5\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":null}\n\n" +
        "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-5\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":7,\"total_tokens\":57,\"prompt_tokens_details\":{\"cached_tokens\":32}}}\n\n" +
        "data: [DONE]\n\n";

    private const string ResponsesStream =
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_123\",\"object\":\"response\",\"status\":\"in_progress\",\"model\":\"gpt-5\",\"output\":[],\"usage\":null}}\n\n" +
        "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"msg_item\",\"type\":\"message\",\"content\":[]}}\n\n" +
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_item\",\"delta\":\"Hi\"}\n\n" +
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_123\",\"status\":\"completed\",\"model\":\"gpt-5-2025\",\"output\":[{\"id\":\"msg_item\",\"type\":\"message\"}],\"usage\":{\"input_tokens\":80,\"input_tokens_details\":{\"cached_tokens\":64},\"output_tokens\":9,\"output_tokens_details\":{\"reasoning_tokens\":3},\"total_tokens\":89}}}\n\n";

    private static GenerationUsage Stream(ProviderApi api, string text, int chunk = int.MaxValue)
    {
        var extractor = new UsageExtractor(api);
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            extractor.FeedStream(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        return extractor.Usage;
    }

    private static GenerationUsage Body(ProviderApi api, string json, int chunk)
    {
        var extractor = new UsageExtractor(api);
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            extractor.FeedBody(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        return extractor.Usage;
    }

    [Fact]
    public void Anthropic_stream_gives_id_model_cache_tokens_and_final_output_tokens()
    {
        var usage = Stream(ProviderApi.AnthropicMessages, AnthropicStream, chunk: 7);
        usage.Should().BeEquivalentTo(new GenerationUsage
        {
            GenerationId = "msg_01XF", Model = "claude-sonnet-4-5", InputTokens = 25, OutputTokens = 15, CacheReadTokens = 2000, CacheWriteTokens = 100,
        });
    }

    [Fact]
    public void Chat_stream_gives_chunk_id_and_the_usage_chunk()
    {
        var usage = Stream(ProviderApi.ChatCompletions, ChatStream, chunk: 5);
        usage.Should().BeEquivalentTo(new GenerationUsage { GenerationId = "chatcmpl-abc", Model = "gpt-5", InputTokens = 50, OutputTokens = 7, CacheReadTokens = 32 });
    }

    [Fact]
    public void Responses_stream_gives_response_id_and_completed_usage()
    {
        var usage = Stream(ProviderApi.Responses, ResponsesStream, chunk: 11);
        usage.Should().BeEquivalentTo(new GenerationUsage { GenerationId = "resp_123", Model = "gpt-5-2025", InputTokens = 80, OutputTokens = 9, CacheReadTokens = 64 });
    }

    [Fact]
    public void A_stream_cut_after_message_start_keeps_what_was_seen()
    {
        var cut = AnthropicStream[..AnthropicStream.IndexOf("event: content_block_delta", StringComparison.Ordinal)];
        var usage = Stream(ProviderApi.AnthropicMessages, cut);
        usage.GenerationId.Should().Be("msg_01XF");
        usage.OutputTokens.Should().Be(1);
    }

    [Property(MaxTest = 100)]
    public bool Anthropic_json_body_split_anywhere_gives_the_same_usage(FsCheck.PositiveInt chunk)
    {
        const string json = "{\"id\":\"msg_9\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4\",\"content\":[{\"type\":\"text\",\"text\":\"a \\\"usage\\\" {\\\"id\\\":1}\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"x\",\"input\":{\"usage\":{\"input_tokens\":999}}}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,\"cache_creation_input_tokens\":4,\"cache_read_input_tokens\":5,\"output_tokens\":6}}";
        var usage = Body(ProviderApi.AnthropicMessages, json, 1 + (chunk.Get % 64));
        return usage is { GenerationId: "msg_9", Model: "claude-opus-4", InputTokens: 3, CacheWriteTokens: 4, CacheReadTokens: 5, OutputTokens: 6 };
    }

    [Fact]
    public void Chat_and_responses_json_bodies_give_usage()
    {
        Body(ProviderApi.ChatCompletions, "{\"id\":\"gen-1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":4}}}", 3)
            .Should().BeEquivalentTo(new GenerationUsage { GenerationId = "gen-1", Model = "m", InputTokens = 10, OutputTokens = 2, CacheReadTokens = 4 });
        Body(ProviderApi.Responses, "{\"id\":\"resp_2\",\"object\":\"response\",\"model\":\"gpt-5\",\"output\":[{\"id\":\"msg_x\"}],\"usage\":{\"input_tokens\":8,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":1}}", 4)
            .Should().BeEquivalentTo(new GenerationUsage { GenerationId = "resp_2", Model = "gpt-5", InputTokens = 8, OutputTokens = 1, CacheReadTokens = 0 });
    }

    [Fact]
    public void Garbage_is_ignored_without_throwing()
    {
        var usage = Body(ProviderApi.AnthropicMessages, "<html>502 bad gateway</html>", 5);
        usage.GenerationId.Should().BeNull();
        Stream(ProviderApi.AnthropicMessages, "event: message_start\ndata: {not json\n\n").GenerationId.Should().BeNull();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FluentAssertions;

namespace Whim.WhimMcp.Tests;

/// <summary>The HTTP endpoint's guard and the streamable-HTTP Accept rules (SPEC §1.2).</summary>
public sealed class HttpEndpointTests(ControlFixture control) : IClassFixture<ControlFixture>
{
    private const string Initialize =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    [Fact]
    public async Task No_token_is_unauthorized()
    {
        using var client = control.Client(null);
        using var response = await client.SendAsync(Post("application/json, text/event-stream"));
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Another_workspaces_token_is_not_found()
    {
        using var client = control.Client(control.OtherMcpToken);
        using var response = await client.SendAsync(Post("application/json, text/event-stream"));
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_task_internal_token_is_forbidden()
    {
        using var client = control.Client(control.TaskToken);
        using var response = await client.SendAsync(Post("application/json, text/event-stream"));
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Unknown_slugs_are_not_found()
    {
        using var client = control.Client(control.McpToken);
        using var request = Post("application/json, text/event-stream");
        request.RequestUri = new Uri($"api/mcp/{control.Slug}/nope", UriKind.Relative);
        using var response = await client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json")]
    [InlineData("text/event-stream")]
    public async Task Post_without_both_media_types_in_accept_is_not_acceptable(string? accept)
    {
        using var client = control.Client(control.McpToken);
        using var response = await client.SendAsync(Post(accept));
        response.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task Get_without_event_stream_in_accept_is_not_acceptable()
    {
        using var client = control.Client(control.McpToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, control.McpUrl);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task Post_with_both_media_types_initializes()
    {
        using var client = control.Client(control.McpToken);
        using var response = await client.SendAsync(Post("application/json, text/event-stream"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"serverInfo\"").And.Contain("whim");
    }

    private HttpRequestMessage Post(string? accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, control.McpUrl) { Content = new StringContent(Initialize, Encoding.UTF8, "application/json") };
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return request;
    }
}

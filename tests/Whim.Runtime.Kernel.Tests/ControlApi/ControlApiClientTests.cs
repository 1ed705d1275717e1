using System.Net;
using System.Text.Json.Serialization;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Whim.Runtime.ControlApi;
using Whim.Testing;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.ControlApi;

public sealed class ControlApiClientTests : IAsyncLifetime
{
    private readonly string _token = "internal-" + Guid.NewGuid().ToString("N");
    private StartedApp _server = null!;
    private int _requests;
    private Func<int, IResult> _answer = _ => Results.Ok();
    private string? _lastAuthorization;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapMethods("/api/v1/{**path}", ["GET", "PUT", "POST"], (HttpContext context) =>
        {
            _lastAuthorization = context.Request.Headers.Authorization.ToString();
            return _answer(Interlocked.Increment(ref _requests));
        });
        _server = await StartedApp.StartAsync(app);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Retries_a_503_and_then_succeeds()
    {
        _answer = n => n <= 2 ? Results.StatusCode(503) : Results.Json(new Pong("ok"), TestJson.Default.Pong);
        var client = CreateClient();

        var answer = await client.GetAsync("api/v1/ping", TestJson.Default.Pong);

        answer.Value.Should().Be("ok");
        _requests.Should().Be(3);
        _lastAuthorization.Should().Be("Bearer " + _token);
    }

    [Fact]
    public async Task Stops_after_its_retry_limit_with_a_clear_error_that_hides_the_token()
    {
        _answer = _ => Results.Problem("database is restarting", statusCode: 503);
        var client = CreateClient(maxRetries: 3);

        var act = () => client.GetAsync("api/v1/tasks/t1", TestJson.Default.Pong);

        var error = (await act.Should().ThrowAsync<ControlApiException>()).Which;
        error.Failure.Should().Be(ControlApiFailure.HttpStatus);
        error.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        error.Attempts.Should().Be(4);
        error.Message.Should().Contain("GET api/v1/tasks/t1").And.Contain("503").And.Contain("4 attempt").And.Contain("database is restarting");
        error.Message.Should().NotContain(_token);
        _requests.Should().Be(4);
    }

    [Fact]
    public async Task Streaming_send_retries_a_503_and_answers_before_the_body_has_all_arrived()
    {
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _answer = n => n == 1 ? Results.StatusCode(503) : Results.Stream(
            async body =>
            {
                await body.WriteAsync("first,"u8.ToArray());
                await body.FlushAsync();
                await rest.Task;
                await body.WriteAsync("rest"u8.ToArray());
            },
            "application/octet-stream");
        var client = CreateClient();

        // A buffering client could not answer here: the end of the body is only released after the call answered.
        using var response = await client.SendStreamingAsync(HttpMethod.Get, "api/v1/big", static () => null).WaitAsync(TimeSpan.FromSeconds(30));
        rest.SetResult();

        (await response.Content.ReadAsStringAsync()).Should().Be("first,rest");
        _requests.Should().Be(2);
    }

    [Fact]
    public async Task Does_not_retry_a_client_error()
    {
        _answer = _ => Results.Problem("title: required", statusCode: 400);
        var client = CreateClient();

        var error = (await FluentActions.Awaiting(() => client.GetAsync("api/v1/x", TestJson.Default.Pong)).Should().ThrowAsync<ControlApiException>()).Which;

        error.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        _requests.Should().Be(1);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_then_nothing_is_sent()
    {
        _answer = _ => Results.StatusCode(500);
        var client = CreateClient(maxRetries: 0, breakerThroughput: 4);

        var failures = new List<ControlApiFailure>();
        for (var i = 0; i < 8; i++)
        {
            try
            {
                await client.GetAsync("api/v1/x", TestJson.Default.Pong);
            }
            catch (ControlApiException e)
            {
                failures.Add(e.Failure);
            }
        }

        failures.Should().HaveCount(8);
        failures.Should().Contain(ControlApiFailure.CircuitOpen);
        failures.SkipWhile(f => f != ControlApiFailure.CircuitOpen).Should().AllSatisfy(f => f.Should().Be(ControlApiFailure.CircuitOpen));
        _requests.Should().BeLessThan(8, "calls made while the circuit is open never reach the server");
    }

    [Fact]
    public async Task An_unreachable_api_is_reported_as_such()
    {
        var client = CreateClient(maxRetries: 1, baseUrl: $"http://127.0.0.1:{LoopbackPort.Reserve()}");

        var error = (await FluentActions.Awaiting(() => client.GetAsync("api/v1/x", TestJson.Default.Pong)).Should().ThrowAsync<ControlApiException>()).Which;

        error.Failure.Should().Be(ControlApiFailure.Unreachable);
        error.Attempts.Should().Be(2);
    }

    [Fact]
    public async Task Without_a_base_url_calls_fail_naming_the_setting()
    {
        var client = CreateClient(baseUrl: "");

        var error = (await FluentActions.Awaiting(() => client.GetAsync("api/v1/x", TestJson.Default.Pong)).Should().ThrowAsync<ControlApiException>()).Which;

        error.Failure.Should().Be(ControlApiFailure.NotConfigured);
        error.Message.Should().Contain("WHIM_API_URL");
    }

    [Fact]
    public void Bad_settings_are_named_at_start()
    {
        var result = new ControlApiOptionsValidator().Validate(null, new ControlApiOptions
        {
            BaseUrl = "ftp://x",
            Resilience = new ControlApiResilienceOptions { MaxRetries = -1, BreakerFailureRatio = 2 },
        });

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("WHIM_API_URL").And.Contain("WHIM_CONTROL_API__MAXRETRIES").And.Contain("WHIM_CONTROL_API__BREAKERFAILURERATIO");
    }

    private ControlApiClient CreateClient(int maxRetries = 4, int breakerThroughput = 100, string? baseUrl = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["API_URL"] = baseUrl ?? _server.BaseAddress.ToString(),
            ["INTERNAL_API_TOKEN"] = _token,
            ["CONTROL_API:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CONTROL_API:BaseDelay"] = "00:00:00.010",
            ["CONTROL_API:MaxDelay"] = "00:00:00.050",
            ["CONTROL_API:BreakerMinimumThroughput"] = breakerThroughput.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CONTROL_API:BreakerFailureRatio"] = "1",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddControlApiClient(configuration);
        return services.BuildServiceProvider(validateScopes: true).GetRequiredService<ControlApiClient>();
    }
}

public sealed record Pong(string Value);

[JsonSerializable(typeof(Pong))]
internal sealed partial class TestJson : JsonSerializerContext;

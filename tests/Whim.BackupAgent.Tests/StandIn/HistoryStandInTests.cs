using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.BackupAgent.Tests.StandIn;

/// <summary>Keeps the stand-in honest to the COMMON.md history contract, so agent tests prove something.</summary>
public sealed class HistoryStandInTests
{
    [Fact]
    public async Task Stand_in_follows_the_history_contract()
    {
        using var root = new TempRoot();
        await using var standIn = await HistoryStandIn.StartAsync(root.Path);
        using var http = new HttpClient { BaseAddress = new Uri(standIn.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", standIn.Token);

        (await PutAsync(http, 0, "abc"u8.ToArray())).Should().Be((HttpStatusCode.OK, 3));
        (await PutAsync(http, 3, "def"u8.ToArray())).Should().Be((HttpStatusCode.OK, 6));
        (await PutAsync(http, 3, "def"u8.ToArray())).Should().Be((HttpStatusCode.OK, 6), "a duplicate is acknowledged");
        (await PutAsync(http, 9, "ghi"u8.ToArray())).Should().Be((HttpStatusCode.Conflict, 6), "a gap answers the held length");
        (await PutAsync(http, 0, "xyz"u8.ToArray(), sha: new string('0', 64))).Status.Should().Be(HttpStatusCode.BadRequest);
        (await PutAsync(http, 0, "new"u8.ToArray(), truncate: true)).Should().Be((HttpStatusCode.OK, 3));
        standIn.Bytes("t", "shell/bash_history").Should().Equal("new"u8.ToArray());
    }

    private static async Task<(HttpStatusCode Status, long Length)> PutAsync(HttpClient http, long offset, byte[] body, string? sha = null, bool truncate = false)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("X-Whim-Sha256", sha ?? Convert.ToHexStringLower(SHA256.HashData(body)));
        if (truncate)
        {
            content.Headers.TryAddWithoutValidation("X-Whim-Truncate", "true");
        }

        using var response = await http.PutAsync($"api/v1/tasks/t/history/shell/bash_history?offset={offset}", content);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Conflict))
        {
            return (response.StatusCode, -1);
        }

        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.GetProperty("length").GetInt64());
    }
}

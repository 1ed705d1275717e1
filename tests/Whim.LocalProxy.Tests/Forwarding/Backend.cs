using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Whim.Testing;

namespace Whim.LocalProxy.Tests.Forwarding;

/// <summary>A stand-in dev server on an ephemeral loopback port: echoes request headers and ids, redirects, echoes WebSocket messages.</summary>
internal static class Backend
{
    public static async Task<StartedApp> StartAsync(string address = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{address}:0");
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/echo", (HttpRequest request) => Results.Json(new
        {
            host = request.Headers.Host.ToString(),
            origin = request.Headers.Origin.ToString(),
            forwardedFor = request.Headers["X-Forwarded-For"].ToString(),
            forwardedHost = request.Headers["X-Forwarded-Host"].ToString(),
            forwardedProto = request.Headers["X-Forwarded-Proto"].ToString(),
            routerKey = request.Headers["X-Whim-Router-Key"].ToString(),
            whimPort = request.Headers["X-Whim-Port"].ToString(),
            protocol = request.Protocol,
        }));
        app.MapMethods("/id/{id}", ["GET", "HEAD"], (string id, HttpContext context) =>
        {
            context.Response.Headers["X-Id"] = id;
            return Results.Text(id);
        });
        app.MapPost("/id/{id}", async (string id, HttpRequest request) => Results.Text(id + ":" + await new StreamReader(request.Body).ReadToEndAsync()));
        app.MapGet("/bytes/{count:int}", async (int count, HttpResponse response) =>
        {
            // A body of known content and size, written in pieces of uneven length.
            response.ContentType = "application/octet-stream";
            var data = Pattern(count);
            for (var offset = 0; offset < count;)
            {
                var piece = Math.Min(count - offset, 1000 + (offset % 70_000));
                await response.Body.WriteAsync(data.AsMemory(offset, piece));
                offset += piece;
            }
        });
        app.MapPost("/sha256", async (HttpRequest request) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[65536];
            long length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }

            return Results.Text($"{length}:{Convert.ToHexString(hash.GetHashAndReset())}");
        });
        app.MapGet("/redirect", (HttpContext context) => Results.Redirect($"http://localhost:{context.Connection.LocalPort}/target?x=1"));
        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest();
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return Results.Empty;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
            }
        });
        return await StartedApp.StartAsync(app);
    }

    /// <summary>The content of <c>/bytes/{count}</c>: a fixed pseudo-random sequence.</summary>
    public static byte[] Pattern(int count)
    {
        var data = new byte[count];
        new Random(count).NextBytes(data);
        return data;
    }
}

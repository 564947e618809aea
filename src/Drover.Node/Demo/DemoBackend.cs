using Drover.Node.Hosting;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Drover.Core.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Node.Demo;

/// <summary>
/// A small HTTP backend to try Drover with and to test it against. Every answer names the backend
/// (body and <c>X-Backend-Id</c>). Endpoints:
/// <c>GET /healthz</c>; <c>POST /echo</c> (streams the body back); <c>POST /sink</c> (reads the body,
/// answers its length and SHA-256); <c>GET /bytes/N</c> (N bytes); <c>GET /random/N</c> (N bytes of <see cref="RandomBody"/>); <c>GET /delay/MS</c>;
/// <c>GET /headers</c> (the request headers as received); <c>/ws</c> (WebSocket echo);
/// <c>GET /set-cookie/NAME/VALUE</c> (the greeting, with <c>Set-Cookie: NAME=VALUE</c>);
/// anything else: a one-line greeting.
/// </summary>
public sealed class DemoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly StrongBox<long> _healthChecks;

    private DemoBackend(string id, WebApplication app, IPEndPoint endPoint, StrongBox<long> healthChecks)
    {
        Id = id;
        _app = app;
        EndPoint = endPoint;
        _healthChecks = healthChecks;
    }

    public string Id { get; }
    public IPEndPoint EndPoint { get; }

    /// <summary>How many <c>GET /healthz</c> it has answered: a load balancer's active checks reaching it.</summary>
    public long HealthChecks => Interlocked.Read(ref _healthChecks.Value);

    /// <summary>
    /// Fires when the backend's host begins to stop, e.g. on SIGTERM: its console lifetime takes
    /// that signal, so a process that runs only a backend must watch this to exit.
    /// </summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    public static async Task<DemoBackend> StartAsync(string id, HostPort bind, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var builder = EmbeddedWebApp.CreateBuilder(); // configured by the drover section, not ASPNETCORE_* variables
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory ?? NullLoggerFactory.Instance));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen((IPEndPoint)bind.ToEndPoint(), listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.UseWebSockets();
        var healthChecks = new StrongBox<long>();
        app.Run(context => HandleAsync(id, healthChecks, context));
        await app.StartAsync(cancellationToken);

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new DemoBackend(id, app, new IPEndPoint(IPAddress.Parse(address.Host.Trim('[', ']')), address.Port), healthChecks);
    }

    private static async Task HandleAsync(string id, StrongBox<long> healthChecks, HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["X-Backend-Id"] = id;
        var path = request.Path.Value ?? "/";

        if (path == "/ws" && context.WebSockets.IsWebSocketRequest)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await EchoWebSocketAsync(socket, context.RequestAborted);
            return;
        }
        if (path == "/healthz")
        {
            Interlocked.Increment(ref healthChecks.Value);
            await response.WriteAsync("ok\n");
            return;
        }
        if (path == "/echo" && HttpMethods.IsPost(request.Method))
        {
            response.ContentType = request.ContentType ?? "application/octet-stream";
            if (request.ContentLength is { } length) response.ContentLength = length;
            await request.Body.CopyToAsync(response.Body, context.RequestAborted);
            return;
        }
        if (path == "/sink" && HttpMethods.IsPost(request.Method))
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                total += read;
            }
            await response.WriteAsync($"{total} {Convert.ToHexStringLower(sha.GetHashAndReset())}\n");
            return;
        }
        if (path.StartsWith("/bytes/", StringComparison.Ordinal) && long.TryParse(path.AsSpan(7), out var count) && count >= 0)
        {
            response.ContentType = "application/octet-stream";
            response.ContentLength = count;
            var chunk = new byte[Math.Min(count, 64 * 1024)];
            Array.Fill(chunk, (byte)'x');
            for (var left = count; left > 0; left -= chunk.Length)
                await response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), context.RequestAborted);
            return;
        }
        if (path.StartsWith("/random/", StringComparison.Ordinal) && long.TryParse(path.AsSpan(8), out var randomCount) && randomCount >= 0)
        {
            // Bytes a client can check one by one: new Random(N).NextBytes over N bytes (see RandomBody).
            response.ContentType = "application/octet-stream";
            response.ContentLength = randomCount;
            var random = new Random((int)(randomCount & int.MaxValue));
            var chunk = new byte[Math.Min(randomCount, 64 * 1024)];
            for (var left = randomCount; left > 0; left -= chunk.Length)
            {
                var piece = chunk.AsMemory(0, (int)Math.Min(chunk.Length, left));
                random.NextBytes(piece.Span);
                await response.Body.WriteAsync(piece, context.RequestAborted);
            }
            return;
        }
        if (path.StartsWith("/delay/", StringComparison.Ordinal) && int.TryParse(path.AsSpan(7), out var ms) && ms >= 0)
        {
            await Task.Delay(ms, context.RequestAborted);
            await response.WriteAsync($"{id} waited {ms} ms\n");
            return;
        }
        if (path == "/headers")
        {
            foreach (var (name, values) in request.Headers)
                await response.WriteAsync($"{name}: {values}\n");
            return;
        }

        if (path.StartsWith("/set-cookie/", StringComparison.Ordinal) && path[12..].Split('/') is [{ Length: > 0 } cookieName, { Length: > 0 } cookieValue])
            response.Headers.SetCookie = $"{cookieName}={cookieValue}; Path=/"; // a backend starting its own session (learn-cookie)
        await response.WriteAsync($"{id}: {request.Method} {path}{request.QueryString} ({request.Protocol})\n");
    }

    /// <summary>What <c>GET /random/N</c> answers: N bytes from <c>new Random(N)</c>, so a client can check every byte.</summary>
    public static byte[] RandomBody(int length)
    {
        var body = new byte[length];
        new Random(length).NextBytes(body);
        return body;
    }

    private static async Task EchoWebSocketAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }
}

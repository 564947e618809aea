using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Listeners;

/// <summary>
/// The L7 listener end to end: a real node on loopback in front of real demo backends. Every test
/// runs twice: with the HTTP/1.1 fast path (the default) and with the full pipeline only.
/// </summary>
public abstract class HttpProxyTests : IAsyncLifetime
{
    protected abstract bool FastPath { get; }

    private string FastPathSetting => FastPath ? "on" : "off";

    private DemoBackends _backends = null!;
    private DroverNode _node = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _backends = await DemoBackends.StartAsync(3);
        var (b1, b2, b3) = (_backends.All[0], _backends.All[1], _backends.All[2]);
        _node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{FastPathSetting}}, routes = [
                { host = "api.example.test", path-prefix = "/", pool = only-b3 }
                { host = "*", path-prefix = "/sticky", pool = hashed }
                { host = "*", path-prefix = "/", header { name = X-Pool, value = only-b3 }, pool = only-b3 }
                { host = "*", path-prefix = "/", pool = demo }
              ] }
              pools {
                {{TestNode.Pool("demo", "round-robin", _backends.Weighted(1, 1, 1))}}
                {{TestNode.Pool("only-b3", "round-robin", (b3.Id, b3.EndPoint, 1))}}
                hashed {
                  balance = consistent-hash, hash-key = "header:X-User"
                  backends = [ { id = b1, address = "{{b1.EndPoint}}" }, { id = b2, address = "{{b2.EndPoint}}" }, { id = b3, address = "{{b3.EndPoint}}" } ]
                }
              }
            }
            """);
        _client = new HttpClient { BaseAddress = new Uri($"http://{_node.Runtime.ListenerEndPoint("web")}") };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _node.DisposeAsync();
        await _backends.DisposeAsync();
    }

    private async Task<string> BackendOf(HttpRequestMessage request)
    {
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Backend-Id").Single();
    }

    [Fact]
    public async Task Round_robin_spreads_requests_over_the_three_backends_in_turn()
    {
        var seen = new List<string>();
        for (var i = 0; i < 9; i++) seen.Add(await BackendOf(new HttpRequestMessage(HttpMethod.Get, "/")));

        Assert.Equal(3, seen.Distinct().Count());
        Assert.All(seen.GroupBy(s => s), g => Assert.Equal(3, g.Count()));
        // In turn: each window of three consecutive requests hits all three.
        for (var i = 0; i + 3 <= seen.Count; i += 3) Assert.Equal(3, seen.Skip(i).Take(3).Distinct().Count());
    }

    [Fact]
    public async Task The_body_names_the_backend_and_the_request()
    {
        var body = await _client.GetStringAsync("/hello?x=1");
        Assert.Matches(@"^b[123]: GET /hello\?x=1 \(HTTP/1.1\)\n$", body);
    }

    [Fact]
    public async Task Routes_match_host_header_and_first_match_wins()
    {
        var byHost = new HttpRequestMessage(HttpMethod.Get, "/");
        byHost.Headers.Host = "API.example.test:8080";
        Assert.Equal("b3", await BackendOf(byHost));

        for (var i = 0; i < 4; i++)
        {
            var byHeader = new HttpRequestMessage(HttpMethod.Get, "/");
            byHeader.Headers.Add("X-Pool", "only-b3");
            Assert.Equal("b3", await BackendOf(byHeader));
        }

        var wrongValue = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Add("X-Pool", "other");
            wrongValue.Add(await BackendOf(request));
        }
        Assert.Equal(3, wrongValue.Count);
    }

    [Fact]
    public async Task Consistent_hash_on_a_header_keeps_each_user_on_one_backend()
    {
        var owners = new Dictionary<string, string>();
        for (var round = 0; round < 3; round++)
        for (var user = 0; user < 30; user++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/sticky");
            request.Headers.Add("X-User", $"user-{user}");
            var backend = await BackendOf(request);
            if (round == 0) owners[$"user-{user}"] = backend;
            else Assert.Equal(owners[$"user-{user}"], backend);
        }
        Assert.True(owners.Values.Distinct().Count() >= 2, "30 users should not all hash to one backend");
    }

    [Fact]
    public async Task Forwarded_headers_are_added_and_hop_by_hop_headers_removed()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Connection.Add("X-Secret-Hop");
        request.Headers.Add("X-Secret-Hop", "must not pass");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("X-End-To-End", "passes");
        request.Headers.Host = "shop.example.test";
        using var response = await _client.SendAsync(request);
        var headers = await response.Content.ReadAsStringAsync();

        Assert.Contains("X-Forwarded-For: 203.0.113.7, 127.0.0.1\n", headers);
        Assert.Contains("X-Forwarded-Proto: http\n", headers);
        Assert.Contains("X-Forwarded-Host: shop.example.test\n", headers);
        Assert.Contains("Host: shop.example.test\n", headers); // the client's Host reaches the backend
        Assert.Contains("X-End-To-End: passes\n", headers);
        Assert.DoesNotContain("X-Secret-Hop", headers);
        Assert.DoesNotContain("Keep-Alive", headers);
    }

    [Fact]
    public async Task H2c_with_prior_knowledge_is_served_on_the_same_port_as_HTTP_1_1()
    {
        using var h2 = new HttpClient { BaseAddress = _client.BaseAddress, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await h2.GetAsync("/headers");
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("X-Forwarded-Proto: http\n", body);

        using var h1 = await _client.GetAsync("/");
        Assert.Equal(HttpVersion.Version11, h1.Version);
    }

    [Fact]
    public async Task WebSocket_messages_echo_through_the_proxy()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{_node.Runtime.ListenerEndPoint("web")}/ws"), CancellationToken.None);
        var buffer = new byte[64 * 1024];
        foreach (var message in new[] { "hello", new string('x', 40_000), "bye" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            var received = new StringBuilder();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            } while (!result.EndOfMessage);
            Assert.Equal(message, received.ToString());
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task A_large_upload_streams_through_intact()
    {
        const long size = 100L * 1024 * 1024;
        using var content = new StreamContent(new PatternStream(size));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await _client.PostAsync("/sink", content);
        var answer = (await response.Content.ReadAsStringAsync()).Trim().Split(' ');

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size.ToString(), answer[0]);
        Assert.Equal(PatternStream.Sha256(size), answer[1]);
    }

    [Fact]
    public async Task A_large_response_streams_through_intact()
    {
        using var response = await _client.GetAsync("/bytes/20000000", HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            Assert.True(buffer.AsSpan(0, read).IndexOfAnyExcept((byte)'x') < 0);
            total += read;
        }
        Assert.Equal(20_000_000, total);
    }

    [Fact]
    public async Task Echo_returns_the_posted_body()
    {
        var payload = RandomNumberGenerator.GetBytes(300_000);
        using var response = await _client.PostAsync("/echo", new ByteArrayContent(payload));
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_unmatched_request_gets_404_from_drover()
    {
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{FastPathSetting}}, routes = [ { host = "only.example.test", pool = p } ] }
              pools { {{TestNode.Pool("p", "round-robin", _backends.Weighted(1))}} }
            }
            """);
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://{node.Runtime.ListenerEndPoint("web")}/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.StartsWith("drover: no route", await response.Content.ReadAsStringAsync());
    }
}

public sealed class HttpProxyWithFastPathTests : HttpProxyTests
{
    protected override bool FastPath => true;
}

public sealed class HttpProxyWithoutFastPathTests : HttpProxyTests
{
    protected override bool FastPath => false;
}

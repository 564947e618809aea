using System.Net;
using Akka.Actor;
using Drover.Core.Pools;
using Drover.Core.Sessions;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Sessions;

/// <summary>Sticky sessions on one node, end to end over real sockets, per mode.</summary>
public sealed class StickySessionTests
{
    private const string Secret = "a-test-secret-of-some-length";

    private static string Pool(DemoBackends backends, string sticky, string extra = "") => $$"""
        pools.p {
          balance = round-robin
          slow-start = 0s
          backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
          sticky { {{sticky}} }
          {{extra}}
        }
        """;

    private static Task<Drover.Node.Hosting.DroverNode> StartHttpAsync(DemoBackends backends, string sticky, string extra = "", bool fastPath = true) =>
        TestNode.StartAsync($$"""
            drover {
              cluster.secret = "{{Secret}}"
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              {{Pool(backends, sticky, extra)}}
            }
            """);

    /// <summary>With the fast path on, sticky requests are served there, not handed to the full pipeline.</summary>
    private static void AssertServedOnFastPath(Drover.Node.Hosting.DroverNode node, bool fastPath)
    {
        if (!fastPath) return;
        var counters = node.Runtime.FastPaths["web"];
        Assert.True(counters.Served > 0, "nothing served on the fast path");
        Assert.Equal(0, counters.HandedOver);
    }

    /// <summary>What the session's owner holds (not the node's cache).</summary>
    internal static async Task<string?> OwnerBindingAsync(Drover.Node.Hosting.DroverNode node, string pool, string key)
    {
        var region = node.Runtime.Sessions!.Region!;
        var entityId = Drover.Core.Sessions.SessionKeys.EntityId(pool, key);
        var binding = await region.Ask<Drover.Node.Sessions.SessionProtocol.Binding>(new Drover.Node.Sessions.SessionProtocol.GetBinding(entityId), TimeSpan.FromSeconds(5));
        return binding.Backend;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Header_mode_sends_each_key_to_one_backend_and_requests_without_the_header_round_robin(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await StartHttpAsync(backends, "mode = \"header:X-User\"", fastPath: fastPath);
        using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));

        var bound = new Dictionary<string, string>();
        for (var round = 0; round < 4; round++)
            for (var user = 0; user < 12; user++)
            {
                var backend = await StickyClients.BackendOfAsync(client, "/", ("X-User", $"user-{user}"));
                if (round == 0) bound[$"user-{user}"] = backend;
                else Assert.Equal(bound[$"user-{user}"], backend);
            }
        Assert.True(bound.Values.Distinct().Count() > 1, "12 keys all landed on one backend");
        foreach (var (key, backend) in bound)
            Assert.Equal(backend, await OwnerBindingAsync(node, "p", key));

        var unkeyed = new List<string>();
        for (var i = 0; i < 6; i++) unkeyed.Add(await StickyClients.BackendOfAsync(client));
        Assert.Equal(3, unkeyed.Distinct().Count());
        AssertServedOnFastPath(node, fastPath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Client_ip_mode_over_http_keeps_each_client_address_on_one_backend(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await StartHttpAsync(backends, "mode = client-ip", fastPath: fastPath);
        var web = node.Runtime.ListenerEndPoint("web");

        var seen = new Dictionary<int, string>();
        for (var round = 0; round < 3; round++)
            for (var client = 1; client <= 8; client++)
            {
                using var http = StickyClients.From(IPAddress.Parse($"127.0.0.{client}"), web);
                var backend = await StickyClients.BackendOfAsync(http);
                if (round == 0) seen[client] = backend;
                else Assert.Equal(seen[client], backend);
            }
        Assert.True(seen.Values.Distinct().Count() > 1, "8 client addresses all landed on one backend");
        Assert.Equal(seen[3], await OwnerBindingAsync(node, "p", "127.0.0.3"));
        AssertServedOnFastPath(node, fastPath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cookie_mode_issues_a_signed_cookie_on_the_first_response_and_follows_it(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await StartHttpAsync(backends, "mode = cookie, ttl = 10m", fastPath: fastPath);
        using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));

        var (first, response) = await StickyClients.GetAsync(client);
        using (response)
        {
            var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith("DROVER=", setCookie);
            Assert.Contains("; Path=/", setCookie);
            Assert.Contains("; Max-Age=600", setCookie);
            Assert.Contains("; HttpOnly", setCookie);
            Assert.Contains("; SameSite=Lax", setCookie);
            Assert.DoesNotContain("Secure", setCookie); // plain http
            var cookie = setCookie.Split(';')[0];

            // Round robin would rotate; the cookie holds the session on the first backend, and is not re-issued.
            for (var i = 0; i < 6; i++)
            {
                var (backend, again) = await StickyClients.GetAsync(client, "/", ("Cookie", $"other=1; {cookie}"));
                using (again)
                {
                    Assert.Equal(first, backend);
                    Assert.False(again.Headers.Contains("Set-Cookie"));
                }
            }

            var codec = new SessionCookieCodec(Secret);
            Assert.True(codec.TryDecode("p", cookie.AsSpan("DROVER=".Length), out var decoded));
            Assert.Equal(first, decoded.Hint);
            Assert.Equal(first, await OwnerBindingAsync(node, "p", decoded.SessionId));

            // A tampered cookie is no cookie: balanced normally and a new session issued.
            var tampered = cookie[..^2] + (cookie[^2] == 'A' ? "B" : "A") + cookie[^1];
            var issued = new HashSet<string>();
            for (var i = 0; i < 3; i++)
            {
                var (_, fresh) = await StickyClients.GetAsync(client, "/", ("Cookie", tampered));
                using (fresh) issued.Add(Assert.Single(fresh.Headers.GetValues("Set-Cookie")).Split(';')[0]);
            }
            Assert.Equal(3, issued.Count);
            Assert.DoesNotContain(cookie, issued);
        }
        AssertServedOnFastPath(node, fastPath);
    }

    [Fact]
    public async Task Learn_cookie_mode_binds_the_cookie_a_backend_set_to_that_backend()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await StartHttpAsync(backends, "mode = \"learn-cookie:SID\"");
        using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));

        var learned = new Dictionary<string, string>();
        for (var i = 0; i < 5; i++) // 5, not a multiple of 3, so round robin cannot line up with the bindings by chance
        {
            var (backend, response) = await StickyClients.GetAsync(client, $"/set-cookie/SID/session-{i}");
            using (response) Assert.Equal($"SID=session-{i}; Path=/", Assert.Single(response.Headers.GetValues("Set-Cookie")));
            learned[$"session-{i}"] = backend;
        }
        Assert.Equal(3, learned.Values.Distinct().Count()); // round robin chose them

        for (var round = 0; round < 3; round++)
            foreach (var (value, backend) in learned)
                Assert.Equal(backend, await StickyClients.BackendOfAsync(client, "/", ("Cookie", $"SID={value}")));
        Assert.Equal(learned["session-4"], await OwnerBindingAsync(node, "p", "session-4"));

        // A value no backend set is balanced normally.
        var unknown = new List<string>();
        for (var i = 0; i < 6; i++) unknown.Add(await StickyClients.BackendOfAsync(client, "/", ("Cookie", "SID=never-set")));
        Assert.Equal(3, unknown.Distinct().Count());
    }

    [Fact]
    public async Task Client_ip_mode_over_tcp_keeps_each_client_address_on_one_backend()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              {{Pool(backends, "mode = client-ip")}}
            }
            """);
        var raw = node.Runtime.ListenerEndPoint("raw");

        var seen = new Dictionary<int, string>();
        for (var round = 0; round < 3; round++)
            for (var client = 1; client <= 8; client++)
            {
                var backend = await StickyClients.TcpBackendOfAsync(raw, IPAddress.Parse($"127.0.0.{client}"));
                if (round == 0) seen[client] = backend;
                else Assert.Equal(seen[client], backend);
            }
        Assert.True(seen.Values.Distinct().Count() > 1, "8 client addresses all landed on one backend");
        Assert.All(seen.Values, b => Assert.StartsWith("b", b));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Drain_keeps_a_backends_sessions_while_maint_moves_them_once(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await StartHttpAsync(backends, "mode = \"header:X-User\"", fastPath: fastPath);
        var pool = node.Runtime.Pools["p"];
        using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));

        var bound = new Dictionary<string, string>();
        for (var user = 0; user < 30; user++)
            bound[$"u{user}"] = await StickyClients.BackendOfAsync(client, "/", ("X-User", $"u{user}"));
        var target = bound.Values.GroupBy(b => b).OrderByDescending(g => g.Count()).First().Key;
        var onTarget = bound.Where(kv => kv.Value == target).Select(kv => kv.Key).ToList();

        await SetAsync(pool, target, AdminState.Drain);
        foreach (var user in onTarget)
            Assert.Equal(target, await StickyClients.BackendOfAsync(client, "/", ("X-User", user)));
        for (var user = 100; user < 120; user++) // new sessions never start on a draining backend
            Assert.NotEqual(target, await StickyClients.BackendOfAsync(client, "/", ("X-User", $"u{user}")));

        await SetAsync(pool, target, AdminState.Maint);
        var moved = new Dictionary<string, string>();
        foreach (var user in onTarget)
        {
            moved[user] = await StickyClients.BackendOfAsync(client, "/", ("X-User", user));
            Assert.NotEqual(target, moved[user]);
            Assert.Equal(moved[user], await OwnerBindingAsync(node, "p", user));
        }
        foreach (var user in onTarget) // moved once, then sticky again
            Assert.Equal(moved[user], await StickyClients.BackendOfAsync(client, "/", ("X-User", user)));
        foreach (var (user, backend) in bound.Where(kv => kv.Value != target)) // the others never moved
            Assert.Equal(backend, await StickyClients.BackendOfAsync(client, "/", ("X-User", user)));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("http-full")]
    [InlineData("tcp")]
    public async Task A_killed_backends_sessions_are_rebound_without_a_failed_request(string listener)
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(listener == "http" ? "on" : "off")}}, routes = [ { pool = p } ] }
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              {{Pool(backends, "mode = client-ip")}}
            }
            """);
        var endPoint = node.Runtime.ListenerEndPoint(listener == "tcp" ? "raw" : "web");
        async Task<string> BackendOf(int client)
        {
            var local = IPAddress.Parse($"127.0.0.{client}");
            if (listener == "tcp") return await StickyClients.TcpBackendOfAsync(endPoint, local);
            using var http = StickyClients.From(local, endPoint);
            return await StickyClients.BackendOfAsync(http);
        }

        var bound = new Dictionary<int, string>();
        for (var client = 1; client <= 12; client++) bound[client] = await BackendOf(client);
        var victim = bound.Values.GroupBy(b => b).OrderByDescending(g => g.Count()).First().Key;
        await backends.StopAsync(victim);

        foreach (var (client, backend) in bound)
        {
            var now = await BackendOf(client);
            Assert.StartsWith("b", now); // answered by a backend, not an error
            if (backend != victim) Assert.Equal(backend, now);
            else
            {
                Assert.NotEqual(victim, now);
                Assert.Equal(now, await BackendOf(client)); // the rebound session sticks
                Assert.Equal(now, await OwnerBindingAsync(node, "p", $"127.0.0.{client}"));
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_bound_backend_at_max_connections_is_waited_for_in_the_queue(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await StartHttpAsync(backends, "mode = \"header:X-User\"", "max-connections = 1\nqueue { size = 10, timeout = 5s }", fastPath: fastPath);
        using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));
        var backend = await StickyClients.BackendOfAsync(client, "/", ("X-User", "alice"));

        var slow = StickyClients.BackendOfAsync(client, "/delay/400", ("X-User", "alice"));
        var pool = node.Runtime.Pools["p"];
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (pool.Snapshot.Find(backend)!.Active == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the slow request never reached {backend}");
            await Task.Delay(5);
        }
        var queued = await StickyClients.BackendOfAsync(client, "/", ("X-User", "alice")); // the other backend is free, but alice's is not
        Assert.Equal(backend, await slow);
        Assert.Equal(backend, queued);
        Assert.True(pool.Queue!.TotalQueued >= 1);
    }

    private static async Task SetAsync(PoolHandle pool, string backend, AdminState state)
    {
        var result = await pool.Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState(backend, state), TimeSpan.FromSeconds(5));
        Assert.True(result.Ok, result.Message);
    }
}

using System.Net;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Resilience;

/// <summary>Retries by status go to another backend, stay within the budget, and never resend a POST.</summary>
public sealed class RetryTests
{
    private static string Listener(bool fastPath, string pool) =>
        $$"""listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = {{pool}} } ] }""";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_backend_answering_503_costs_a_GET_nothing_and_is_ejected_after_five(bool fastPath)
    {
        await using var healthy = await DemoBackends.StartAsync(1);
        await using var failing = new HttpStubServer(status: 503, body: "overloaded\n");
        await using var node = await TestNode.StartAsync($$"""
            drover {
              {{Listener(fastPath, "p")}}
              pools.p { slow-start = 0s, backends = [ { id = bad, address = "{{failing.EndPoint}}" }, { id = b1, address = "{{healthy.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        for (var i = 0; i < 20; i++)
        {
            using var get = await client.GetAsync($"/get{i}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("b1", get.Headers.GetValues("X-Backend-Id").Single());
        }
        var pool = node.Runtime.Pools["p"];
        var bad = pool.Snapshot.Backends.Single(b => b.Id == "bad");
        Assert.Equal(5, failing.Accepted); // five 503s in a row eject it: it sees no sixth request
        Assert.DoesNotContain(bad, pool.Snapshot.Candidates);
        Assert.Equal(5, pool.Snapshot.Backends.Single(b => b.Id == "b1").Retries);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_POST_answered_503_is_not_resent_and_the_client_gets_the_503(bool fastPath)
    {
        await using var healthy = await DemoBackends.StartAsync(1);
        await using var failing = new HttpStubServer(status: 503, body: "overloaded\n");
        await using var node = await TestNode.StartAsync($$"""
            drover {
              {{Listener(fastPath, "p")}}
              pools.p { health.passive = off, backends = [ { id = bad, address = "{{failing.EndPoint}}" }, { id = b1, address = "{{healthy.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var post = await client.PostAsync($"/sink?n={i}", new ByteArrayContent(new byte[100]));
            statuses.Add(post.StatusCode);
        }
        var posted = failing.Heads.Count(h => h.StartsWith("POST"));
        Assert.True(posted > 0, "round robin should have sent some POSTs to the failing backend");
        Assert.Equal(posted, statuses.Count(s => s == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(6 - posted, statuses.Count(s => s == HttpStatusCode.OK));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Retries_stay_within_the_budget(bool fastPath)
    {
        // Every backend fails, so every request wants two retries; the budget (10%, at least 10 per
        // 10 s window) grants only some of them, and the rest answer with the last 503 at once.
        await using var a = new HttpStubServer(status: 503);
        await using var b = new HttpStubServer(status: 503);
        await using var c = new HttpStubServer(status: 503);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              {{Listener(fastPath, "p")}}
              pools.p {
                health.passive = off
                retries { attempts = 2, budget = 10%, on = [503] }
                backends = [ { id = a, address = "{{a.EndPoint}}" }, { id = b, address = "{{b.EndPoint}}" }, { id = c, address = "{{c.EndPoint}}" } ]
              }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        const int requests = 200;
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync($"/r{i}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        var pool = node.Runtime.Pools["p"];
        var retries = a.Accepted + b.Accepted + c.Accepted - requests;
        var counted = pool.Snapshot.Backends.Sum(x => x.Retries);
        Assert.Equal(retries, counted);
        // Attempts, first tries included, were counted into the budget; 10% of them at most (or 10).
        var allowed = Math.Max(10, (int)(0.1 * (requests + retries)));
        Assert.InRange(retries, 10, allowed);
        Assert.Equal(retries, pool.RetryBudget.Retries);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Retries_off_sends_each_request_once(bool fastPath)
    {
        await using var a = new HttpStubServer(status: 502);
        await using var b = new HttpStubServer(status: 502);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              {{Listener(fastPath, "p")}}
              pools.p { health.passive = off, retries.attempts = 0, backends = [ { id = a, address = "{{a.EndPoint}}" }, { id = b, address = "{{b.EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }
        Assert.Equal(10, a.Accepted + b.Accepted);
    }
}

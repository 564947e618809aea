using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Drover.Core.Pools;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Resilience;

/// <summary>Admin states on a running node: drain keeps what is in flight and says when it is done; maint takes nothing.</summary>
public sealed class AdminStateTests
{
    private static async Task<PoolProtocol.AdminStateResult> SetAsync(PoolHandle pool, string backend, AdminState state) =>
        await pool.Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState(backend, state), TimeSpan.FromSeconds(5));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Draining_an_http_backend_finishes_its_request_in_flight_and_reports_drain_complete(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              pools.p { balance = least-connections, slow-start = 0s, backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ] }
            }
            """);
        var pool = node.Runtime.Pools["p"];
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        using var drained = new EventWaiter<PoolProtocol.BackendDrained>(node.System, _ => true);

        // Least connections sends the slow request to one backend; drain that one.
        var slow = client.GetAsync("/delay/800");
        while (pool.Snapshot.Backends.All(b => b.Active == 0)) await Task.Delay(5);
        var busy = pool.Snapshot.Backends.Single(b => b.Active > 0);
        Assert.True((await SetAsync(pool, busy.Id, AdminState.Drain)).Ok);

        for (var i = 0; i < 10; i++)
        {
            using var other = await client.GetAsync("/");
            Assert.NotEqual(busy.Id, other.Headers.GetValues("X-Backend-Id").Single());
        }
        Assert.False(drained.Task.IsCompleted, "drain complete while a request was still in flight");

        using var finished = await slow;
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        Assert.Equal(busy.Id, finished.Headers.GetValues("X-Backend-Id").Single());
        Assert.Equal(busy.Id, (await drained.WaitAsync(TimeSpan.FromSeconds(5))).BackendId);

        var state = await pool.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5));
        var drainedState = state.Backends.Single(b => b.Id == busy.Id);
        Assert.Equal(("drain", true, false), (drainedState.Admin, drainedState.Drained, drainedState.Candidate));
        Assert.Equal(0, busy.Failures);
    }

    /// <summary>
    /// ops/drills/backend-drain.sh: a drained backend with nothing in flight is `(drained)` at once,
    /// however many idle keep-alive connections the pool still holds to it (they carry no request), with
    /// no timer or grace period in between.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Draining_an_idle_http_backend_completes_at_once_despite_its_pooled_keep_alive_connections(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ] }
            }
            """);
        var pool = node.Runtime.Pools["p"];
        // Several clients at once, so the pool keeps several connections to the backend, idle afterwards.
        var clients = Enumerable.Range(0, 4).Select(_ => new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") }).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async c =>
            {
                for (var i = 0; i < 5; i++) (await c.GetAsync("/")).EnsureSuccessStatusCode();
            }));
            var b1 = pool.Snapshot.Backends.Single();
            while (b1.Active > 0) await Task.Delay(5);

            using var drained = new EventWaiter<PoolProtocol.BackendDrained>(node.System, _ => true);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.True((await SetAsync(pool, "b1", AdminState.Drain)).Ok);
            Assert.Equal("b1", (await drained.WaitAsync(TimeSpan.FromSeconds(5))).BackendId);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"drain complete {clock.ElapsedMilliseconds} ms after the drain with nothing in flight");
            var state = await pool.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5));
            Assert.Equal(("drain", true), (state.Backends[0].Admin, state.Backends[0].Drained));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task Draining_a_tcp_backend_keeps_its_open_connection_and_completes_when_it_closes()
    {
        await using var echo1 = new TcpEchoServer();
        await using var echo2 = new TcpEchoServer();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.tcp { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p { slow-start = 0s, backends = [ { id = e1, address = "{{echo1.EndPoint}}" }, { id = e2, address = "{{echo2.EndPoint}}" } ] }
            }
            """);
        var pool = node.Runtime.Pools["p"];
        var endPoint = node.Runtime.ListenerEndPoint("tcp");
        using var drained = new EventWaiter<PoolProtocol.BackendDrained>(node.System, _ => true);

        using var open = new TcpClient();
        await open.ConnectAsync(endPoint);
        var stream = open.GetStream();
        await AssertEchoAsync(stream, "before");
        var bound = pool.Snapshot.Backends.Single(b => b.Active > 0);
        Assert.True((await SetAsync(pool, bound.Id, AdminState.Drain)).Ok);

        // New connections go elsewhere; the open one keeps working.
        for (var i = 0; i < 4; i++)
        {
            using var other = new TcpClient();
            await other.ConnectAsync(endPoint);
            await AssertEchoAsync(other.GetStream(), $"new {i}");
            Assert.Equal(1, bound.Active);
        }
        await AssertEchoAsync(stream, "still open");
        await Task.Delay(300);
        Assert.False(drained.Task.IsCompleted, "drain complete while a connection was open");

        open.Close();
        var done = await drained.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(bound.Id, done.BackendId);
    }

    [Fact]
    public async Task A_backend_in_maint_gets_nothing_until_it_is_ready_again()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}", state = maint }, { id = b2, address = "{{backends.All[1].EndPoint}}" } ] }
            }
            """);
        var pool = node.Runtime.Pools["p"];
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        async Task<HashSet<string>> ServedBy()
        {
            var ids = new HashSet<string>();
            for (var i = 0; i < 10; i++)
            {
                using var response = await client.GetAsync("/");
                ids.Add(response.Headers.GetValues("X-Backend-Id").Single());
            }
            return ids;
        }

        Assert.Equal(["b2"], await ServedBy());
        Assert.True((await SetAsync(pool, "b1", AdminState.Ready)).Ok);
        Assert.Equal(["b1", "b2"], (await ServedBy()).Order());
        Assert.True((await SetAsync(pool, "b2", AdminState.Maint)).Ok);
        Assert.Equal(["b1"], await ServedBy());
        var unknown = await SetAsync(pool, "b9", AdminState.Drain);
        Assert.False(unknown.Ok);
    }

    private static async Task AssertEchoAsync(NetworkStream stream, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await stream.WriteAsync(bytes);
        var buffer = new byte[bytes.Length];
        await stream.ReadExactlyAsync(buffer);
        Assert.Equal(text, Encoding.ASCII.GetString(buffer));
    }

    /// <summary>
    /// A store notice that left the replicator before it took this node's write (it carries the
    /// previous state) must not undo the write, even for the moment until the next notice: that
    /// moment sent sessions back to a backend just put in maint (a flaky StickySessionTests run).
    /// The stale notice is sent here right behind the command, as the replicator would.
    /// </summary>
    [Fact]
    public async Task A_stale_store_notice_does_not_undo_an_admin_state_just_set()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ] }
            }
            """);
        var pool = node.Runtime.Pools["p"];
        var id = backends.All[0].Id;
        Assert.True((await SetAsync(pool, id, AdminState.Drain)).Ok);
        var cluster = Akka.Cluster.Cluster.Get(node.System);
        var stale = Akka.DistributedData.LWWDictionary<string, string>.Empty.SetItem(cluster, id, "drain");

        // One sender, so the pool actor sees them in this order: maint, the stale notice, the query.
        var probe = node.System.ActorOf(Props.Create(() => new ForwardingActor(pool.Actor)));
        var state = await probe.Ask<PoolProtocol.PoolState>(new ForwardingActor.Sequence(
        [
            new PoolProtocol.SetAdminState(id, AdminState.Maint),
            new Akka.DistributedData.Changed(AdminStateStore.Key("p"), stale),
            PoolProtocol.GetState.Instance,
        ]), TimeSpan.FromSeconds(5));
        Assert.Equal("maint", state.Backends.Single(b => b.Id == id).Admin);
    }

    /// <summary>Sends a sequence of messages to one actor from one sender and returns the last answer to the asker.</summary>
    private sealed class ForwardingActor : ReceiveActor
    {
        public sealed record Sequence(IReadOnlyList<object> Messages);

        public ForwardingActor(IActorRef target)
        {
            IActorRef? asker = null;
            var expected = 0;
            Receive<Sequence>(sequence =>
            {
                asker = Sender;
                expected = sequence.Messages.Count(m => m is not Akka.DistributedData.Changed);
                foreach (var message in sequence.Messages) target.Tell(message);
            });
            ReceiveAny(answer =>
            {
                if (--expected == 0) asker?.Tell(answer);
            });
        }
    }
}

using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Commands;

/// <summary>Three nodes with a sharded entity type: the cluster and cluster-sharding palettes seen from any node.</summary>
public sealed class ClusterPalettesTests(ClusterPalettesTests.ThreeNodes cluster) : IClassFixture<ClusterPalettesTests.ThreeNodes>
{
    private const string MemberLine = @"^akka\.tcp://drover@127\.0\.0\.1:\d+ \| \[lb\] \| up \|  \| \S+";

    [Fact]
    public async Task Cluster_show_lists_every_member_from_any_node_and_leader_agrees()
    {
        foreach (var node in cluster.Nodes)
        {
            var lines = await CliRunner.LinesAsync(node.Commands.EndPoint!, "cluster show");
            Assert.Equal(cluster.Addresses.Order(StringComparer.Ordinal), lines[..3].Select(l => l.Split(" | ")[0]).Order(StringComparer.Ordinal));
            Assert.All(lines[..3], l => Assert.Matches(MemberLine + "$", l));
            Assert.Equal("Count: 3 nodes", lines[3]);

            var leader = Akka.Cluster.Cluster.Get(node.System).State.Leader!.ToString();
            Assert.Equal([leader], await CliRunner.LinesAsync(node.Commands.EndPoint!, "cluster leader"));
        }
    }

    [Fact]
    public async Task Region_stats_counts_shards_and_entities_per_member_and_marks_the_coordinator()
    {
        // While the coordinator rebalances (shortly after the cluster formed), a shard being handed over
        // shows as "no answer from N shards" or is missing from the counts for a moment: ask until settled.
        string[] lines = [];
        var settled = new System.Text.RegularExpressions.Regex(MemberLine + @"( \[coordinator\]\(echo\))? \| shards: \d+ \| entities: \d+$");
        for (var attempt = 0; attempt < 20; attempt++)
        {
            lines = await CliRunner.LinesAsync(cluster.Nodes[1].Commands.EndPoint!, $"cluster-sharding region-stats -r {EchoEntity.TypeName}");
            if (lines.Length == 4 && lines[..3].All(settled.IsMatch) && lines[3].EndsWith($" {ThreeNodes.Entities} entities", StringComparison.Ordinal)) break;
            await Task.Delay(500);
        }

        Assert.True(lines.Length == 4, string.Join("\n", lines));
        var oldest = cluster.Addresses[0]; // the seed started first: the coordinator singleton runs there
        var coordinatorLine = Assert.Single(lines, l => l.Contains(" [coordinator](echo)"));
        Assert.StartsWith(oldest + " | ", coordinatorLine);
        Assert.Matches(MemberLine + @" \[coordinator\]\(echo\) \| shards: \d+ \| entities: \d+$", coordinatorLine);
        Assert.All(lines[..3].Where(l => l != coordinatorLine), l => Assert.Matches(MemberLine + @" \| shards: \d+ \| entities: \d+$", l));
        var entities = lines[..3].Sum(l => int.Parse(l.Split("entities: ")[1]));
        var shards = lines[..3].Sum(l => int.Parse(l.Split("shards: ")[1].Split(' ')[0]));
        Assert.Equal(ThreeNodes.Entities, entities);
        Assert.Equal($"Total: {shards} shards, {ThreeNodes.Entities} entities", lines[3]);
    }

    [Fact]
    public async Task Shard_stats_lists_every_shard_with_its_node()
    {
        var lines = await CliRunner.LinesAsync(cluster.Nodes[2].Commands.EndPoint!, $"cluster-sharding shard-stats -r {EchoEntity.TypeName}");
        var shardLines = lines[..^1];
        Assert.Equal($"Count: {shardLines.Length} shards", lines[^1]);
        Assert.All(shardLines, l => Assert.Matches(@"^shard \d+ \| akka\.tcp://drover@127\.0\.0\.1:\d+ \| entities: \d+$", l));
        Assert.All(shardLines, l => Assert.Contains(l.Split(" | ")[1], cluster.Addresses));
        Assert.Equal(ThreeNodes.Entities, shardLines.Sum(l => int.Parse(l.Split("entities: ")[1])));
        var ids = shardLines.Select(l => int.Parse(l.Split(' ')[1])).ToArray();
        Assert.Equal(ids.Order(), ids);
    }

    [Fact]
    public async Task Query_names_the_node_the_entity_runs_on()
    {
        foreach (var entity in new[] { "e3", "e17" })
        {
            var runsOn = await cluster.Region.Ask<string>(new EchoEntity.Where(entity), TimeSpan.FromSeconds(10));
            var line = Assert.Single(await CliRunner.LinesAsync(cluster.Nodes[1].Commands.EndPoint!, $"cluster-sharding query -r echo -e {entity}"));
            Assert.Matches($@"^entity: {entity} \| shard: \d+ \| node: {System.Text.RegularExpressions.Regex.Escape(runsOn)} \| actor: /system/sharding/echo/\d+/{entity}$", line);
        }
    }

    [Fact]
    public async Task Query_of_an_entity_never_started_names_its_shard_and_says_it_is_not_running()
    {
        var line = Assert.Single(await CliRunner.LinesAsync(cluster.Nodes[2].Commands.EndPoint!, "cluster-sharding query -r echo -e never-started"));
        Assert.Matches(@"^entity: never-started \| shard: \d+ \| node: .+ \| actor: \(not running\)$", line);
    }

    [Fact]
    public async Task Regions_lists_the_types_with_this_nodes_share()
    {
        var lines = await CliRunner.LinesAsync(cluster.Nodes[0].Commands.EndPoint!, "cluster-sharding regions");
        // Drover's own types (backend-health, session) and the test's echo type, in name order.
        Assert.Matches(@"^backend-health \| shards here: \d+ \| entities here: \d+$", lines[0]);
        Assert.Matches(@"^echo \| shards here: \d+ \| entities here: \d+$", lines[1]);
        Assert.Matches(@"^session \| shards here: \d+ \| entities here: \d+$", lines[2]);
        Assert.Equal("Count: 3 types", lines[3]);
    }

    public sealed class ThreeNodes : IAsyncLifetime
    {
        public const int Entities = 30;

        private const string Drover = """
            drover {
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
            }
            """;

        public List<DroverNode> Nodes { get; } = new();
        public string[] Addresses => Nodes.Select(n => Akka.Cluster.Cluster.Get(n.System).SelfAddress.ToString()).ToArray();
        public IActorRef Region { get; private set; } = ActorRefs.Nobody;

        public async Task InitializeAsync()
        {
            Nodes.Add(await TestNode.StartAsync(Drover));
            var seed = Akka.Cluster.Cluster.Get(Nodes[0].System).SelfAddress;
            var env = new Dictionary<string, string> { ["CLUSTER_SEEDS"] = $"{seed.Host}:{seed.Port}" };
            Nodes.AddRange(await Task.WhenAll(TestNode.StartAsync(TestNode.Config(Drover, env)), TestNode.StartAsync(TestNode.Config(Drover, env))));
            foreach (var node in Nodes)
            {
                var c = Akka.Cluster.Cluster.Get(node.System);
                await Eventually.TrueAsync(() => c.State.Members.Count(m => m.Status == MemberStatus.Up) == 3, TimeSpan.FromSeconds(30), "three members up");
            }

            var regions = await Task.WhenAll(Nodes.Select(n => EchoEntity.StartAsync(n.System)));
            Region = regions[0];
            await Task.WhenAll(Enumerable.Range(0, Entities).Select(i =>
                Region.Ask<string>(new EchoEntity.Where($"e{i}"), TimeSpan.FromSeconds(20))));
        }

        public async Task DisposeAsync()
        {
            foreach (var node in Enumerable.Reverse(Nodes)) await node.DisposeAsync();
        }
    }
}

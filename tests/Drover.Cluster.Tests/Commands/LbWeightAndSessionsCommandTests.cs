using System.Text.RegularExpressions;
using Drover.Cluster.Tests.Support;
using Drover.Core.Sessions;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Commands;

/// <summary>On three nodes: a weight set through one node's command host applies on every node; <c>lb sessions -k</c> answers from the session's owner, wherever it lives.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LbWeightAndSessionsCommandTests
{
    [Fact]
    public async Task A_weight_set_through_one_node_changes_the_split_on_another_and_sessions_k_names_the_owner()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var cluster = await TestCluster.StartAsync(3, $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p {
                slow-start = 0s
                sticky { mode = "header:X-Session" }
                backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
              }
            }
            """);
        int[] WeightsOn(int node) => cluster[node].Runtime.Pools["p"].Snapshot.BaseWeights;

        var set = await CliRunner.LinesAsync(cluster[0].Commands.EndPoint!, "lb weight -p p -b b1 -w 3");
        Assert.Equal("p/b1: weight 3/1 (set 3) | applied on every node", set[0]);
        await Eventually.TrueAsync(() => Enumerable.Range(0, 3).All(n => WeightsOn(n)[0] == 3), TimeSpan.FromSeconds(5), "b1 at weight 3 on every node");
        Assert.Contains("| weight 3/1 (set 3) |", (await CliRunner.LinesAsync(cluster[2].Commands.EndPoint!, "lb backends -p p"))[0]);

        // Requests without a session key are balanced by weight, here through the third node.
        using (var client = StickyClients.Plain(cluster[2].Runtime.ListenerEndPoint("web")))
        {
            var b1 = 0;
            for (var i = 0; i < 400; i++)
                if (await StickyClients.BackendOfAsync(client) == "b1") b1++;
            Assert.True(b1 is > 260 and < 340, $"b1 should get about 300 of 400 requests at weight 3 against 1, got {b1}");
        }

        await CliRunner.LinesAsync(cluster[1].Commands.EndPoint!, "lb weight -p p -b b1 -w config");
        await Eventually.TrueAsync(() => Enumerable.Range(0, 3).All(n => WeightsOn(n)[0] == 1), TimeSpan.FromSeconds(5), "b1 back to its configured weight on every node");

        // A session made through node 1, looked up through node 0: the owner answers, and says which node it is.
        using (var client = StickyClients.Plain(cluster[1].Runtime.ListenerEndPoint("web")))
        {
            var backend = await StickyClients.BackendOfAsync(client, "/", ("X-Session", "user-42"));
            var entity = SessionKeys.EntityId("p", "user-42");
            string? owner = null;
            for (var n = 0; n < 3 && owner is null; n++)
                if ((await TestCluster.EntitiesOnAsync(cluster[n])).Contains(entity)) owner = Akka.Cluster.Cluster.Get(cluster[n].System).SelfAddress.ToString();
            Assert.NotNull(owner);

            var line = (await CliRunner.LinesAsync(cluster[0].Commands.EndPoint!, "lb sessions -p p -k user-42")).Single();
            Assert.Matches($@"^user-42 \| {backend} \| owner {Regex.Escape(owner)} \| last use [\d.]+m?s ago \| expires in ", line);
        }
    }
}

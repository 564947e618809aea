using System.Net;
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

    private static Task<Drover.Node.Hosting.DroverNode> StartHttpAsync(DemoBackends backends, string sticky, string extra = "") =>
        TestNode.StartAsync($$"""
            drover {
              cluster.secret = "{{Secret}}"
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              {{Pool(backends, sticky, extra)}}
            }
            """);

    [Fact]
    public async Task Header_mode_sends_each_key_to_one_backend_and_requests_without_the_header_round_robin()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var node = await StartHttpAsync(backends, "mode = \"header:X-User\"");
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

        var unkeyed = new List<string>();
        for (var i = 0; i < 6; i++) unkeyed.Add(await StickyClients.BackendOfAsync(client));
        Assert.Equal(3, unkeyed.Distinct().Count());
    }
}

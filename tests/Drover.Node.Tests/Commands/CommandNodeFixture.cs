using System.Net;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>One node with its command host on a free loopback port, shared by a test class.</summary>
public sealed class CommandNodeFixture : IAsyncLifetime
{
    public const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        }
        """;

    public DroverNode Node { get; private set; } = null!;
    public IPEndPoint Cmd => Node.Commands.EndPoint!;

    public async Task InitializeAsync()
    {
        Node = await TestNode.StartAsync(Drover);
        // Commands about membership need this node to be Up in its own cluster.
        var cluster = Akka.Cluster.Cluster.Get(Node.System);
        await Eventually.TrueAsync(() => cluster.SelfMember.Status == Akka.Cluster.MemberStatus.Up, TimeSpan.FromSeconds(20), "the node is up");
    }

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

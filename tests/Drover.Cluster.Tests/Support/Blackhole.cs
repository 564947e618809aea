using Akka.Actor;
using Akka.Remote;
using Akka.Remote.Transport;
using Drover.Node.Hosting;

namespace Drover.Cluster.Tests.Support;

/// <summary>
/// A partition without root: Akka's throttler transport adapter (nodes configured with
/// <see cref="Adapters"/>) black-holes the links between two members, both ways.
/// </summary>
public static class Blackhole
{
    public const string Adapters = "akka.remote.dot-netty.tcp.applied-adapters = [trttl]";

    /// <summary>Cuts <paramref name="node"/> off from every other node of <paramref name="nodes"/>, on both sides of each link.</summary>
    public static async Task IsolateAsync(IReadOnlyList<DroverNode> nodes, DroverNode node)
    {
        var cut = Akka.Cluster.Cluster.Get(node.System).SelfAddress;
        foreach (var other in nodes.Where(n => n != node))
        {
            await CutAsync(other.System, cut);
            await CutAsync(node.System, Akka.Cluster.Cluster.Get(other.System).SelfAddress);
        }
    }

    /// <summary>Black-holes <paramref name="system"/>'s link to <paramref name="to"/>, both directions.</summary>
    public static Task<bool> CutAsync(ActorSystem system, Address to)
    {
        var transport = ((RemoteActorRefProvider)((ExtendedActorSystem)system).Provider).Transport;
        return transport.ManagementCommand(new SetThrottle(to, ThrottleTransportAdapter.Direction.Both, Akka.Remote.Transport.Blackhole.Instance));
    }
}

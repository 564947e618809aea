using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Drover.Cluster.Tests.Commands;

/// <summary>A sharded entity type for tests: answers any message with the address of the node it runs on.</summary>
public sealed class EchoEntity : ReceiveActor
{
    public const string TypeName = "echo";

    /// <summary>Asks the entity where it runs.</summary>
    public sealed record Where(string EntityId);

    public EchoEntity() =>
        ReceiveAny(_ => Sender.Tell(Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString()));

    public static Task<IActorRef> StartAsync(ActorSystem system) =>
        ClusterSharding.Get(system).StartAsync(TypeName, Props.Create(() => new EchoEntity()), ClusterShardingSettings.Create(system),
            HashCodeMessageExtractor.Create(10, m => (m as Where)?.EntityId!, m => m));
}

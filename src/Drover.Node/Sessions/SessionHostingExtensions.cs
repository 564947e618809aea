using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;

namespace Drover.Node.Sessions;

public static class SessionHostingExtensions
{
    /// <summary>
    /// Starts the <c>session</c> shard region (ddata state store, no remembered entities, no idle
    /// passivation: a session lives until its ttl) and hands it, with the node's session actor, to
    /// <paramref name="sessions"/>. Compose after <c>WithDroverCluster</c>, which starts the
    /// DistributedData replicator the bindings are written to.
    /// </summary>
    public static AkkaConfigurationBuilder WithDroverSessions(this AkkaConfigurationBuilder builder, SessionService sessions) =>
        builder
            .WithShardRegion<SessionActor>("session",
                (_, _) => entityId => SessionActor.Props(entityId, sessions),
                new SessionMessageExtractor(sessions.Options.Shards),
                new ShardOptions
                {
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    ShouldPassivateIdleEntities = false,
                })
            .WithActors((system, registry) => sessions.Start(system, registry.Get<SessionActor>()));
}

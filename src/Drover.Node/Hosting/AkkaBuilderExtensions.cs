using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
using Akka.Hosting;
using Drover.Node.Health.Cluster;
using Drover.Node.LoadBalancing;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Hosting;

/// <summary>The Akka.Hosting extensions that <see cref="DroverNode"/> composes, one per feature.</summary>
public static class AkkaBuilderExtensions
{
    /// <summary>
    /// Joins the cluster: through <c>akka.cluster.seed-nodes</c> when there are any, else by joining
    /// itself (a one-node cluster). Starts the DistributedData replicator at boot, not lazily, so
    /// the first majority write after the cluster forms does not time out.
    /// </summary>
    public static AkkaConfigurationBuilder WithDroverCluster(this AkkaConfigurationBuilder builder) =>
        builder.AddStartup((system, _) =>
        {
            var cluster = Cluster.Get(system);
            if (cluster.Settings.SeedNodes.Count == 0) cluster.Join(cluster.SelfAddress);
            DistributedData.Get(system);
        });

    /// <summary>
    /// Starts the load balancer (pools and listeners) and hooks its orderly stop into
    /// CoordinatedShutdown: in <c>service-unbind</c>, listeners stop accepting and drain.
    /// </summary>
    public static AkkaConfigurationBuilder WithLoadBalancer(this AkkaConfigurationBuilder builder,
        NodeConfiguration config, DroverRuntime runtime, ILoggerFactory loggerFactory) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var healthRegion = StartHealthRegion(system, runtime);
            registry.Register<BackendHealthEntity>(healthRegion);
            var lb = system.ActorOf(LoadBalancerActor.Props(config.Drover, runtime, loggerFactory, healthRegion, config.DrainTimeout), "lb");
            registry.Register<LoadBalancerActor>(lb);
            resolver.GetService<Reload.ConfigReloader>()?.Attach(lb);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "drover-unbind-listeners", async () =>
            {
                await lb.Ask<LoadBalancerProtocol.Unbound>(new LoadBalancerProtocol.UnbindAll(config.DrainTimeout),
                    config.DrainTimeout + TimeSpan.FromSeconds(5));
                return Akka.Done.Instance;
            });
        });

    /// <summary>
    /// The <c>backend-health</c> shard region: one entity per pool and backend in the whole cluster,
    /// never passivated (it runs the backend's checks; pool actors also keep it alive).
    /// </summary>
    /// <remarks>An entity reads the config in force when it starts (a reload may have added its backend).</remarks>
    private static IActorRef StartHealthRegion(ActorSystem system, DroverRuntime runtime) =>
        ClusterSharding.Get(system).Start(
            BackendHealthProtocol.TypeName,
            entityId => BackendHealthEntity.Props(entityId, runtime.Config),
            ClusterShardingSettings.Create(system).WithPassivateIdleAfter(TimeSpan.Zero),
            new BackendHealthProtocol.MessageExtractor());
}

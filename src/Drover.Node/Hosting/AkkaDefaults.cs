using Akka.Configuration;

namespace Drover.Node.Hosting;

/// <summary>
/// The Akka settings every Drover node needs, under whatever the config file says: a cluster
/// provider, the split brain resolver tuned for a load balancer, sharding without a journal, a
/// shutdown phase long enough to drain, and a scheduler that wakes only when something is due
/// (<see cref="TicklessScheduler"/>). A config file therefore needs only a <c>drover { }</c>
/// section; the repository's akka.hocon repeats these values to document them.
/// </summary>
public static class AkkaDefaults
{
    public static readonly Config Config = ConfigurationFactory.ParseString($$"""
        akka {
          actor.provider = cluster
          scheduler.implementation = "{{TicklessScheduler.ImplementationName}}"
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 4053 }
          cluster {
            seed-nodes = []
            roles = [lb]
            downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
            split-brain-resolver {
              active-strategy = keep-majority
              stable-after = 5s
              down-all-when-unstable = on
            }
            failure-detector {
              heartbeat-interval = 1s
              acceptable-heartbeat-pause = 3s
              threshold = 8.0
            }
            down-removal-margin = 2s
            sharding {
              state-store-mode = ddata
              remember-entities = off
              retry-interval = 200ms
            }
            # Health verdicts are written to every node at once (write-all); subscribers hear of a
            # change at this interval, so all pool actors follow a verdict within a fraction of a second.
            distributed-data.notify-subscribers-interval = 100ms
          }
          coordinated-shutdown.phases.service-unbind.timeout = 20s
        }
        """);
}

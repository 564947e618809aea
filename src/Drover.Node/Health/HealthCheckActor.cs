using Akka.Actor;
using Drover.Core.Health;
using Drover.Core.Pools;

namespace Drover.Node.Health;

// TEMPORARY stand-in until the probes branch lands (replaced by the real actor on merge).
public sealed class HealthCheckActor : ReceiveActor
{
    public static Props Props(ActiveHealthConfig config, Backend backend, IActorRef reportTo) =>
        Akka.Actor.Props.Create(() => new HealthCheckActor());
}

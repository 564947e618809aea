using System.Globalization;
using Akka.Actor;
using Akka.Cluster;

namespace Drover.Node.Commands.Palettes;

/// <summary>
/// Subscribes to membership, reachability and leader events (the current state first, as events)
/// and hands each one, as a line, to <c>cluster tail</c>'s output. Lives as long as the command.
/// </summary>
internal sealed class ClusterTailActor : ReceiveActor
{
    public ClusterTailActor(Action<string> write)
    {
        Receive<ClusterEvent.IMemberEvent>(e => write(Line(e.GetType().Name, Describe(e.Member))));
        Receive<ClusterEvent.UnreachableMember>(e => write(Line("UnreachableMember", Describe(e.Member))));
        Receive<ClusterEvent.ReachableMember>(e => write(Line("ReachableMember", Describe(e.Member))));
        Receive<ClusterEvent.LeaderChanged>(e => write(Line("LeaderChanged", e.Leader?.ToString() ?? "(none)")));
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private static string Describe(Member member) =>
        $"{member.Address} [{MemberLines.Roles(member)}] {member.Status.ToString().ToLowerInvariant()}";

    private static string Line(string kind, string text) =>
        $"{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)} {kind} {text}\n";

    public static Props Props(Action<string> write) => Akka.Actor.Props.Create(() => new ClusterTailActor(write));
}

using Akka.Actor;
using Akka.Cluster;
using static Drover.Node.Admin.Stats.AdminStatsProtocol;

namespace Drover.Node.Admin.Stats;

/// <summary>
/// Gathers the whole cluster's stats for <c>/stats.json</c>: the members as this node's cluster state
/// has them, and each reachable member's <see cref="NodeStats"/>, asked of its <c>/user/admin-stats</c>
/// over remoting, all at once with a short deadline. A member that is unreachable is not asked; one
/// that does not answer in time is shown without stats and says why. So the page needs only this
/// node's admin endpoint, whatever the other nodes' admin binds are.
/// </summary>
public sealed class ClusterStatsReader(ActorSystem system, IActorRef local, TimeSpan timeout)
{
    public async Task<ClusterStats> ReadAsync(CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var self = cluster.SelfAddress;
        var members = state.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToList();
        if (members.Count == 0) members.Add(cluster.SelfMember); // not joined yet: at least this node

        var answers = members.Select(async member =>
        {
            var isSelf = member.Address.Equals(self);
            var reachable = !state.Unreachable.Any(u => u.Address.Equals(member.Address));
            NodeStats? stats = null;
            string? error = null;
            if (!reachable && !isSelf) error = "unreachable";
            else if (member.Status is MemberStatus.Down or MemberStatus.Removed && !isSelf) error = $"member is {Readiness.StatusName(member.Status)}";
            else
            {
                try
                {
                    ICanTell target = isSelf ? local : system.ActorSelection(new RootActorPath(member.Address) / "user" / ActorName);
                    stats = await target.Ask<NodeStats>(GetLocalStats.Instance, timeout, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    error = $"no answer within {timeout.TotalSeconds:0.#} s";
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    error = ex.GetBaseException().Message;
                }
            }
            return new MemberStats(member.Address.ToString(), Readiness.StatusName(member.Status),
                member.Roles.Order(StringComparer.Ordinal).ToList(), reachable, isSelf,
                state.Leader is { } leader && leader.Equals(member.Address), member.AppVersion.ToString(), error, stats);
        });
        return new ClusterStats(self.ToString(), DateTime.UtcNow, await Task.WhenAll(answers).ConfigureAwait(false));
    }
}

using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Drover.Core.Pools;

namespace Drover.Node.Pools;

/// <summary>
/// Cluster-wide admin states: one DistributedData key per pool (<c>drover-admin-POOL</c>, an
/// <c>LWWDictionary</c> of backend id to <c>ready | drain | maint</c>) that every pool actor
/// subscribes to. An operator's change on any node is written to every node at once (write-all) and
/// applied by each node's pool actor; the last write wins.
/// </summary>
public static class AdminStateStore
{
    public static LWWDictionaryKey<string, string> Key(string pool) => new($"drover-admin-{pool}");

    /// <summary>Writes the state; true when every node acknowledged within <paramref name="timeout"/> (otherwise it spreads by gossip).</summary>
    public static async Task<bool> SetAsync(ActorSystem system, string pool, string backendId, AdminState state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var replicator = DistributedData.Get(system).Replicator;
        var update = Dsl.Update(Key(pool), LWWDictionary<string, string>.Empty, new WriteAll(timeout),
            d => d.SetItem(cluster, backendId, state.ToConfigName()));
        var response = await replicator.Ask<IUpdateResponse>(update, timeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessful;
    }
}

using System.Globalization;
using Akka.Actor;
using Akka.DistributedData;

namespace Drover.Node.Pools;

/// <summary>
/// Weights set at run time (<c>lb weight</c>), cluster-wide, the way <see cref="AdminStateStore"/>
/// keeps admin states: one DistributedData key per pool (<c>drover-weight-POOL</c>, an
/// <c>LWWDictionary</c> of backend id to the weight as text) that every pool actor subscribes to. A
/// set weight replaces the configured one as the base that health, admin state and slow start work
/// from; removing the entry goes back to the configured weight. The last write wins.
/// </summary>
public static class BackendWeightStore
{
    public static LWWDictionaryKey<string, string> Key(string pool) => new($"drover-weight-{pool}");

    /// <summary>
    /// Writes <paramref name="weight"/> (null: back to the configured weight); true when every node
    /// acknowledged within <paramref name="timeout"/> (otherwise it spreads by gossip).
    /// </summary>
    public static async Task<bool> SetAsync(ActorSystem system, string pool, string backendId, int? weight, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var replicator = DistributedData.Get(system).Replicator;
        var update = Dsl.Update(Key(pool), LWWDictionary<string, string>.Empty, new WriteAll(timeout),
            d => weight is { } w ? d.SetItem(cluster, backendId, w.ToString(CultureInfo.InvariantCulture)) : d.Remove(cluster, backendId));
        var response = await replicator.Ask<IUpdateResponse>(update, timeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessful;
    }

    public static bool TryParse(string? text, out int weight) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out weight);
}

using Drover.Core.Pools;
using Drover.Node.Pools;

namespace Drover.Node.Admin;

/// <summary>
/// Sticky-session counts for the metrics, the stats page and <c>lb stats</c>: the live bindings this
/// node's cache holds for a pool (the bindings its traffic uses; the owners hold the cluster's
/// authoritative set), in total and per backend. Counted by one walk of the cache when asked (a scrape,
/// a stats sample), never on the data path, which keeps no per-backend session counter.
/// </summary>
internal readonly record struct SessionCount(long Total, long[] ByOrdinal)
{
    public static SessionCount Of(PoolHandle pool)
    {
        // Sized by the highest ordinal, not the count: ordinals need not be dense (a reload removes backends).
        var slots = 0;
        foreach (var backend in pool.Snapshot.Backends) slots = Math.Max(slots, backend.Ordinal + 1);
        var byOrdinal = new long[slots];
        var total = pool.Sessions?.Cache.CountLive(byOrdinal) ?? 0;
        return new SessionCount(total, byOrdinal);
    }

    public long For(Backend backend) => (uint)backend.Ordinal < (uint)ByOrdinal.Length ? ByOrdinal[backend.Ordinal] : 0;
}

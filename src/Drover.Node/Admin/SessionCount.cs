using Drover.Core.Pools;
using Drover.Node.Pools;

namespace Drover.Node.Admin;

/// <summary>
/// Sticky-session counts for the metrics and the stats page: the sessions this node's cache holds
/// for the pool (the bindings its traffic uses; the owners hold the cluster's authoritative set).
/// Per backend is not counted (it would need a walk of the cache on every scrape), so it reads 0.
/// </summary>
internal static class SessionCount
{
    public static long Of(PoolHandle pool) => pool.Sessions?.Cache.Count ?? 0;

    public static long Of(PoolHandle pool, Backend backend) => 0;
}

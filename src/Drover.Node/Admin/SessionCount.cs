using Drover.Core.Pools;
using Drover.Node.Pools;

namespace Drover.Node.Admin;

/// <summary>
/// Sticky-session counts for the metrics and the stats page, in one place so that wiring them in is one edit.
/// </summary>
internal static class SessionCount
{
    // TODO(sessions): sticky sessions are being built on branch 'sessions'; once merged, answer the
    // pool's session count here (e.g. its per-node session cache size). Until then there are none.
    public static long Of(PoolHandle pool) => 0;

    public static long Of(PoolHandle pool, Backend backend) => 0;
}

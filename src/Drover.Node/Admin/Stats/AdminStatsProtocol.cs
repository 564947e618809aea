namespace Drover.Node.Admin.Stats;

/// <summary>
/// The stats page's data. Every node's <see cref="AdminStatsActor"/> (<c>/user/admin-stats</c>) answers
/// <see cref="GetLocalStats"/> with its own <see cref="NodeStats"/>, across the cluster too (these
/// records travel over Akka remoting); <see cref="ClusterStatsReader"/> gathers them into one
/// <see cref="ClusterStats"/> for <c>/stats.json</c>.
/// </summary>
public static class AdminStatsProtocol
{
    /// <summary>The well-known name of the stats actor on every node.</summary>
    public const string ActorName = "admin-stats";

    public sealed record GetLocalStats
    {
        public static readonly GetLocalStats Instance = new();
    }

    /// <param name="Ready">What this node's <c>/readyz</c> would answer.</param>
    /// <param name="Admin">This node's admin endpoint (<c>host:port</c>), or empty when it has none.</param>
    public sealed record NodeStats(
        string Address,
        string Version,
        bool Ready,
        string ReadyReason,
        string Admin,
        DateTime At,
        IReadOnlyList<ListenerStats> Listeners,
        IReadOnlyList<PoolStats> Pools);

    /// <param name="Requests">HTTP: responses sent to clients; TCP: connections accepted.</param>
    /// <param name="RequestRate">Requests (HTTP) or connections (TCP) a second, over the last second.</param>
    public sealed record ListenerStats(
        string Name,
        string Mode,
        string Bound,
        long Requests,
        double RequestRate,
        long Connections,
        long ActiveConnections,
        long BytesIn,
        long BytesOut)
    {
        /// <summary>HTTP: responses sent to clients by status class (1xx, 2xx, 3xx, 4xx, 5xx, other); empty for TCP.</summary>
        public IReadOnlyList<long> Responses { get; init; } = [];
    }

    /// <param name="Reachable">False when the pool actor did not answer; the backends then show their counters only.</param>
    public sealed record PoolStats(
        string Name,
        string Balance,
        bool Reachable,
        bool Panic,
        int QueueWaiting,
        long Sessions,
        IReadOnlyList<BackendStats> Backends)
    {
        public bool Sticky { get; init; }

        /// <summary>Retries the pool's retry budget refused.</summary>
        public long RetriesDenied { get; init; }
    }

    /// <param name="Health">up | down | ejected (unknown when the pool actor did not answer).</param>
    /// <param name="Admin">ready | drain | maint.</param>
    /// <param name="RequestRate">Requests and connections started a second, over the last second.</param>
    public sealed record BackendStats(
        string Id,
        string Address,
        string Health,
        string HealthReason,
        string Admin,
        bool Drained,
        int Weight,
        int ConfiguredWeight,
        long Active,
        long Requests,
        double RequestRate,
        long Failures,
        long Retries,
        double LatencyMs,
        long Sessions)
    {
        /// <summary>The weight set at run time with <c>lb weight</c> (cluster-wide), or null: the config's.</summary>
        public int? SetWeight { get; init; }

        /// <summary>HTTP responses from the backend by status class (1xx, 2xx, 3xx, 4xx, 5xx, other).</summary>
        public IReadOnlyList<long> Responses { get; init; } = [];

        /// <summary>TCP connections proxied.</summary>
        public long Connections { get; init; }

        /// <summary>Bytes towards the backend (TCP: all; HTTP: request bodies) and back from it (TCP: all; HTTP: response bodies).</summary>
        public long BytesIn { get; init; }
        public long BytesOut { get; init; }
    }

    /// <param name="Status">joining | weakly-up | up | leaving | exiting | down | removed.</param>
    /// <param name="Error">Why <paramref name="Stats"/> is missing: the member is unreachable, or did not answer in time.</param>
    public sealed record MemberStats(
        string Address,
        string Status,
        IReadOnlyList<string> Roles,
        bool Reachable,
        bool IsSelf,
        bool IsLeader,
        string AppVersion,
        string? Error,
        NodeStats? Stats);

    public sealed record ClusterStats(string Self, DateTime At, IReadOnlyList<MemberStats> Members);
}

namespace Drover.Node.Sessions;

/// <summary>
/// Tuning of the session machinery, set in code (tests shorten some). <see cref="Shards"/> and
/// <see cref="StoreKeys"/> decide where a session lives and where its binding is replicated: every
/// node of a cluster must use the same values.
/// </summary>
public sealed record SessionOptions
{
    public static readonly SessionOptions Default = new();

    /// <summary>How long a request waits for the owner on a cache miss before it falls back (the only wait the data path has).</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a fallback answer (owner unreachable) is reused before the owner is asked again.</summary>
    public TimeSpan FallbackCacheTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bindings each node caches per pool.</summary>
    public int CacheCapacity { get; init; } = 100_000;

    /// <summary>Number of shards of the session entity type.</summary>
    public int Shards { get; init; } = 100;

    /// <summary>
    /// Number of DistributedData keys the bindings are split over (each an LWWDictionary). Measured:
    /// with 32 keys, creating sessions slowed as the dictionaries grew (10,000 sessions: 300 entries a
    /// key, and each majority read or delta merge costs in proportion); with 256 the rate stayed flat.
    /// </summary>
    public int StoreKeys { get; init; } = 256;

    /// <summary>Write-through of a binding: how long the majority write may take before it is logged as failed.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A re-created session's majority read of its binding; then the local replica is used.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long after a shard arrives on a node (its first session there since it had none) new
    /// sessions read their binding by majority. Later, the shard has lived here all along, so any
    /// earlier owner of a session was this node or wrote long enough ago to have replicated here: the
    /// local replica answers, and a new session costs one majority write instead of a read and a write.
    /// </summary>
    public TimeSpan ShardSettleTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A session entity that holds no binding (a learn-cookie lookup of an unknown value) stops after this long.</summary>
    public TimeSpan UnboundIdle { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each node removes expired bindings whose owner is gone (crashed before it could expire them).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(60);
}

namespace Drover.Core.Balancing;

/// <summary>
/// What a pick may depend on: the request's hash (consistent hash only) and the candidates already
/// tried for this request (bit i = candidate i), so a retry goes to a different backend.
/// </summary>
public readonly struct PickContext(ulong hash, ulong excluded = 0)
{
    public ulong Hash { get; } = hash;
    public ulong Excluded { get; } = excluded;

    public bool IsExcluded(int candidate) => (uint)candidate < 64 && (Excluded & (1UL << candidate)) != 0;

    public PickContext Exclude(int candidate) =>
        (uint)candidate < 64 ? new PickContext(Hash, Excluded | (1UL << candidate)) : this; // -1 (not a candidate) excludes nothing

    public static PickContext None => default;
}

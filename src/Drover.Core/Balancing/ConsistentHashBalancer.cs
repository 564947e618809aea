using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>
/// Consistent hashing by weighted rendezvous (highest random weight): each backend scores a key by
/// <c>-weight / ln(u)</c>, with u a uniform value from hashing the key with the backend's id, and
/// the highest score wins. Shares follow the weights exactly; removing a backend (from config, or
/// from rotation while it is down) moves only the keys it had, whatever the other weights; and the
/// result depends only on ids and base weights, so every node agrees. A pick is O(backends),
/// which for pools of tens of backends costs less than a ring lookup's cache misses.
/// </summary>
public sealed class ConsistentHashBalancer : IBalancer
{
    private readonly ulong[] _seeds;
    private readonly double[] _weights;
    private readonly int[] _candidateIndex;
    private readonly bool _equalWeights;

    /// <param name="backends">Every configured backend: the mapping is over all of them, so a backend out of rotation only hands its own keys on.</param>
    /// <param name="candidates">The backends that may take traffic now.</param>
    /// <param name="weights">
    /// Each backend's base weight, in the order of <paramref name="backends"/>: the configured one, or
    /// one set at run time (cluster-wide, so every node still agrees). Null: the configured weights.
    /// </param>
    public ConsistentHashBalancer(Backend[] backends, Backend[] candidates, IReadOnlyList<int>? weights = null)
    {
        var weightOf = backends.Select((b, i) => weights is not null && i < weights.Count ? weights[i] : b.ConfiguredWeight).ToArray();
        var members = backends.Where((_, i) => weightOf[i] > 0).ToArray();
        _seeds = members.Select(b => KeyHash.HashString(b.Id)).ToArray();
        _weights = backends.Select((_, i) => weightOf[i]).Where(w => w > 0).Select(w => (double)w).ToArray();
        _candidateIndex = members.Select(b => Array.IndexOf(candidates, b)).ToArray();
        _equalWeights = _weights.Distinct().Count() <= 1;
    }

    public int Pick(in PickContext context)
    {
        var best = -1;
        var bestScore = double.NegativeInfinity;
        ulong bestHash = 0;
        for (var m = 0; m < _seeds.Length; m++)
        {
            var candidate = _candidateIndex[m];
            if (candidate < 0 || context.IsExcluded(candidate)) continue;
            var h = KeyHash.Mix(context.Hash, _seeds[m]);
            if (_equalWeights)
            {
                // -1/ln(u) grows with u: with equal weights the largest hash wins, no logarithm needed.
                if (best < 0 || h > bestHash)
                {
                    best = candidate;
                    bestHash = h;
                }
                continue;
            }
            // u in (0, 1) from the top 53 bits; ln(u) < 0, so the score is positive.
            var u = ((h >> 11) + 0.5) * (1.0 / (1UL << 53));
            var score = -_weights[m] / Math.Log(u);
            if (score > bestScore)
            {
                best = candidate;
                bestScore = score;
            }
        }
        return best;
    }
}

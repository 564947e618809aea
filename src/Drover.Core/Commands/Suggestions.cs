namespace Drover.Core.Commands;

/// <summary>"Did you mean" for mistyped palette and command names.</summary>
public static class Suggestions
{
    /// <summary>The closest of <paramref name="candidates"/> within two edits (or sharing a prefix), else null.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(typed, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        if (best is null) return null;
        if (bestDistance <= Math.Min(2, Math.Max(1, typed.Length / 2))) return best;
        return typed.Length >= 2 && candidates.Count(c => c.StartsWith(typed, StringComparison.Ordinal)) == 1
            ? candidates.First(c => c.StartsWith(typed, StringComparison.Ordinal))
            : null;
    }

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

namespace Drover.Core.Health;

/// <summary>Config names of <see cref="RetryOn"/>: <c>connect-failure | reset-before-response | 502 | 503 | 504</c>.</summary>
public static class RetryOnParser
{
    private static readonly (string Name, RetryOn Flag)[] Names =
    [
        ("connect-failure", RetryOn.ConnectFailure),
        ("reset-before-response", RetryOn.ResetBeforeResponse),
        ("502", RetryOn.Status502),
        ("503", RetryOn.Status503),
        ("504", RetryOn.Status504),
    ];

    public static string AllNames => "connect-failure | reset-before-response | 502 | 503 | 504";

    /// <summary>
    /// Parses a list of names, case-insensitive, whitespace ignored, duplicates harmless. An empty
    /// list is valid and means nothing is retried. Fails on the first unknown or empty entry.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> items, out RetryOn on, out string error)
    {
        on = RetryOn.None;
        error = "";
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i]?.Trim() ?? "";
            if (item.Length == 0)
            {
                error = $"entry {i + 1} is empty (expected {AllNames})";
                on = RetryOn.None;
                return false;
            }
            var flag = Find(item);
            if (flag == RetryOn.None)
            {
                error = $"unknown retry condition '{item}' (expected {AllNames})";
                on = RetryOn.None;
                return false;
            }
            on |= flag;
        }
        return true;
    }

    /// <summary>Whether a backend response with this status may be retried elsewhere.</summary>
    public static bool IsRetryStatus(this RetryOn on, int status) => status switch
    {
        502 => (on & RetryOn.Status502) != 0,
        503 => (on & RetryOn.Status503) != 0,
        504 => (on & RetryOn.Status504) != 0,
        _ => false,
    };

    /// <summary>The config names of the set flags, in canonical order (for logs and round trips).</summary>
    public static IReadOnlyList<string> ToConfigNames(this RetryOn on)
    {
        var names = new List<string>(Names.Length);
        foreach (var (name, flag) in Names)
            if ((on & flag) != 0) names.Add(name);
        return names;
    }

    private static RetryOn Find(string item)
    {
        foreach (var (name, flag) in Names)
            if (string.Equals(name, item, StringComparison.OrdinalIgnoreCase)) return flag;
        return RetryOn.None;
    }
}

namespace Drover.Core.Health;

/// <summary>What a pool does when no backend is usable (<c>all-unhealthy</c>).</summary>
public enum AllUnhealthyMode
{
    /// <summary>Answer 503 (HTTP) or close the connection (TCP).</summary>
    Fail,
    /// <summary>Panic mode: send to every backend regardless of health, since a guess beats certain failure.</summary>
    UseAll,
}

public static class AllUnhealthyModes
{
    private static readonly (string Name, AllUnhealthyMode Mode)[] Names =
    [
        ("fail", AllUnhealthyMode.Fail),
        ("use-all", AllUnhealthyMode.UseAll),
    ];

    public static string AllNames => string.Join(" | ", Names.Select(n => n.Name));

    public static bool TryParse(string? text, out AllUnhealthyMode mode)
    {
        foreach (var (name, value) in Names)
        {
            if (string.Equals(name, text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                mode = value;
                return true;
            }
        }
        mode = AllUnhealthyMode.Fail;
        return false;
    }

    public static string ToConfigName(this AllUnhealthyMode mode) => Names.First(n => n.Mode == mode).Name;
}

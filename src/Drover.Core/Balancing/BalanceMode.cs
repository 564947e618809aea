namespace Drover.Core.Balancing;

public enum BalanceMode
{
    RoundRobin,
    LeastConnections,
    Random,
    PowerOfTwo,
    ConsistentHash,
    LeastResponseTime,
}

public static class BalanceModes
{
    private static readonly (string Name, BalanceMode Mode)[] Names =
    [
        ("round-robin", BalanceMode.RoundRobin),
        ("least-connections", BalanceMode.LeastConnections),
        ("random", BalanceMode.Random),
        ("power-of-two", BalanceMode.PowerOfTwo),
        ("consistent-hash", BalanceMode.ConsistentHash),
        ("least-response-time", BalanceMode.LeastResponseTime),
    ];

    public static string AllNames => string.Join(" | ", Names.Select(n => n.Name));

    public static bool TryParse(string? text, out BalanceMode mode)
    {
        foreach (var (name, value) in Names)
        {
            if (string.Equals(name, text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                mode = value;
                return true;
            }
        }
        mode = default;
        return false;
    }

    public static string ToConfigName(this BalanceMode mode) => Names.First(n => n.Mode == mode).Name;
}

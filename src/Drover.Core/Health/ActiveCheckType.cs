namespace Drover.Core.Health;

/// <summary>What an active health check does (<c>health.active.type</c>).</summary>
public enum ActiveCheckType
{
    /// <summary>No active checks: only passive outlier detection judges the backend.</summary>
    Off,
    /// <summary>A TCP connect that completes within the timeout is a good check.</summary>
    Tcp,
    /// <summary>An HTTP request whose status (and optionally body) matches is a good check.</summary>
    Http,
}

public static class ActiveCheckTypes
{
    private static readonly (string Name, ActiveCheckType Type)[] Names =
    [
        ("http", ActiveCheckType.Http),
        ("tcp", ActiveCheckType.Tcp),
        ("off", ActiveCheckType.Off),
    ];

    public static string AllNames => string.Join(" | ", Names.Select(n => n.Name));

    public static bool TryParse(string? text, out ActiveCheckType type)
    {
        foreach (var (name, value) in Names)
        {
            if (string.Equals(name, text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                type = value;
                return true;
            }
        }
        type = ActiveCheckType.Off;
        return false;
    }

    public static string ToConfigName(this ActiveCheckType type) => Names.First(n => n.Type == type).Name;
}

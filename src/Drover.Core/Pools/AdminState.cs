namespace Drover.Core.Pools;

/// <summary>What an operator allows a backend to take, independent of its health.</summary>
public enum AdminState
{
    /// <summary>Takes new requests and connections (when healthy).</summary>
    Ready,
    /// <summary>Keeps what is already bound to it (in-flight requests, open connections, sticky sessions) but takes nothing new.</summary>
    Drain,
    /// <summary>Maintenance: takes nothing new, not even sticky sessions bound to it.</summary>
    Maint,
}

public static class AdminStates
{
    public const string AllNames = "ready | drain | maint";

    public static bool TryParse(string text, out AdminState state)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "ready": state = AdminState.Ready; return true;
            case "drain": state = AdminState.Drain; return true;
            case "maint": state = AdminState.Maint; return true;
            default: state = AdminState.Ready; return false;
        }
    }

    public static string ToConfigName(this AdminState state) => state switch
    {
        AdminState.Ready => "ready",
        AdminState.Drain => "drain",
        AdminState.Maint => "maint",
        _ => state.ToString().ToLowerInvariant(),
    };
}

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

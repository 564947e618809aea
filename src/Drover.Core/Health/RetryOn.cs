namespace Drover.Core.Health;

/// <summary>The outcomes that may be retried on another backend (<c>retries.on</c>).</summary>
[Flags]
public enum RetryOn
{
    None = 0,
    /// <summary>No connection to the backend: always safe, nothing was sent.</summary>
    ConnectFailure = 1,
    /// <summary>The backend closed or reset the connection before any response byte.</summary>
    ResetBeforeResponse = 2,
    Status502 = 4,
    Status503 = 8,
    Status504 = 16,
}

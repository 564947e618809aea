namespace Drover.Node.AccessLog;

/// <summary>How a request or connection ended, as the access log's <c>end=</c> field says it.</summary>
public enum AccessLogEnd : byte
{
    /// <summary>Answered (HTTP, any status the backend gave) or closed normally by either side (TCP).</summary>
    Ok,
    ClientAbort,
    BackendReset,
    ConnectFailed,
    ResponseTimeout,
    QueueFull,
    QueueTimeout,
    NoBackend,
    NoRoute,
    IdleTimeout,
    HeadersTimeout,
    BadResponse,
}

public static class AccessLogEnds
{
    private static readonly string[] Names =
    [
        "ok", "client-abort", "backend-reset", "connect-failed", "response-timeout", "queue-full", "queue-timeout",
        "no-backend", "no-route", "idle-timeout", "headers-timeout", "bad-response",
    ];

    public static string Name(this AccessLogEnd end) => (int)end < Names.Length ? Names[(int)end] : end.ToString();
}

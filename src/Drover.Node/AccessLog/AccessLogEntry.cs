namespace Drover.Node.AccessLog;

/// <summary>
/// One access-log line before formatting: a struct queued by value, so a request that is logged
/// allocates only its client and target strings. Times are milliseconds; -1 means "did not happen"
/// (e.g. no connect on a kept-alive connection) and is written as <c>-</c>.
/// </summary>
public readonly record struct AccessLogEntry(
    DateTime Time,
    bool Tcp,
    string Client,
    string Listener,
    string? Pool,
    string? Backend,
    string? Method,
    string? Target,
    int Status,
    long BytesIn,
    long BytesOut,
    double QueueMs,
    double ConnectMs,
    double TtfbMs,
    double TotalMs,
    int Retries,
    AccessLogEnd End);

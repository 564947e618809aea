namespace Drover.Core.Configuration;

/// <summary>
/// <c>drover.access-log { enabled, format, path }</c>: one line per HTTP request and per TCP
/// connection. Off by default: a proxy at tens of thousands of requests a second writes megabytes a
/// second of log, which an operator should choose.
/// </summary>
/// <param name="Path"><c>stdout</c>, <c>stderr</c>, or a file (appended to).</param>
public sealed record AccessLogConfig(bool Enabled, AccessLogFormat Format, string Path)
{
    public static readonly AccessLogConfig Default = new(false, AccessLogFormat.Text, "stdout");
}

public enum AccessLogFormat
{
    Text,
    Json,
}

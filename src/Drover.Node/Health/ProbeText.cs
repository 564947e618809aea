using System.Globalization;
using System.Net.Sockets;

namespace Drover.Node.Health;

/// <summary>Short, stable probe details ("connect refused", "timeout after 1s") from exceptions and durations.</summary>
internal static class ProbeText
{
    /// <summary>"1s", "1.5s", "250ms": whole milliseconds, seconds when at least one.</summary>
    public static string Duration(TimeSpan span)
    {
        var ms = Math.Max(0, (long)Math.Round(span.TotalMilliseconds));
        return ms >= 1000
            ? (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : ms.ToString(CultureInfo.InvariantCulture) + "ms";
    }

    public static string Timeout(TimeSpan timeout) => "timeout after " + Duration(timeout);

    /// <summary>
    /// What a failed probe ran into. The socket error decides when there is one (connect refused, connection
    /// reset), whatever wraps it; otherwise HttpClient's error category; otherwise the innermost message.
    /// </summary>
    public static string Describe(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket) return Describe(socket.SocketErrorCode);
        }
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException http)
            {
                switch (http.HttpRequestError)
                {
                    case HttpRequestError.ResponseEnded: return "connection closed before a response";
                    case HttpRequestError.InvalidResponse: return "invalid response";
                    case HttpRequestError.NameResolutionError: return "host not found";
                    case HttpRequestError.ConfigurationLimitExceeded: return "response head too large";
                }
            }
        }
        var message = exception.GetBaseException().Message;
        return message.Length <= 120 ? message : message[..120] + "...";
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connect refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.TimedOut => "connect timed out",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
        SocketError.HostUnreachable or SocketError.HostDown => "host unreachable",
        SocketError.NetworkUnreachable or SocketError.NetworkDown => "network unreachable",
        SocketError.Shutdown => "connection closed",
        _ => "socket error " + error,
    };
}

using System.Text;

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>Drover's own error responses on the fast path, encoded once; same status and text as the full pipeline's.</summary>
internal static class CannedResponses
{
    public static byte[] Create(int status, string reason, string message, bool close)
    {
        var body = $"drover: {message}\n";
        return Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\n" +
            $"X-Drover-Error: {message}\r\n{(close ? "Connection: close\r\n" : "")}\r\n{body}");
    }

    /// <summary>The status code of a response made by <see cref="Create"/> ("HTTP/1.1 NNN ..."), read back for the counters.</summary>
    public static int StatusOf(byte[] response) =>
        (response[9] - '0') * 100 + (response[10] - '0') * 10 + (response[11] - '0');

    public static readonly byte[] GatewayTimeout = Create(504, "Gateway Timeout", "the backend did not answer in time", close: true);
    public static readonly byte[] RequestHeadersTimeout = Create(408, "Request Timeout", "the request head did not arrive in time", close: true);
    public static readonly byte[] BadGatewayResponse = Create(502, "Bad Gateway", "the backend's response could not be used", close: true);
}

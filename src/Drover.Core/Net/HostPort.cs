using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Drover.Core.Net;

/// <summary>
/// A <c>host:port</c> pair as written in config: an IPv4 literal, a bracketed IPv6 literal
/// (<c>[::1]:80</c>), <c>*</c> (any address, for binds) or a DNS name.
/// </summary>
public readonly record struct HostPort(string Host, int Port)
{
    public bool IsAnyAddress => Host is "*" or "0.0.0.0" or "::";

    public bool IsIpLiteral => IPAddress.TryParse(Host, out _);

    /// <summary>The endpoint to bind or connect to; DNS names stay names (resolved at connect time).</summary>
    public EndPoint ToEndPoint()
    {
        if (Host == "*") return new IPEndPoint(IPAddress.Any, Port);
        if (Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return new IPEndPoint(IPAddress.Loopback, Port);
        return IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port);
    }

    /// <summary>How the address appears in a URI authority (IPv6 in brackets).</summary>
    public string Authority =>
        Host.Contains(':') ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}" : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => Authority;

    /// <param name="allowPortZero">Binds may use port 0 (any free port, reported once bound); addresses to connect to may not.</param>
    public static bool TryParse(string? text, [NotNullWhen(true)] out HostPort? result, out string error, bool allowPortZero = false)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected host:port";
            return false;
        }

        text = text.Trim();
        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not [ipv6]:port";
                return false;
            }
            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':') != colon)
            {
                error = $"'{text}' is not host:port (IPv6 addresses go in brackets: [::1]:80)";
                return false;
            }
            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host != "*" && !IsValidHostName(host))
            {
                error = $"'{host}' is not a valid host name or IPv4 address";
                return false;
            }
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < (allowPortZero ? 0 : 1) || port > 65535)
        {
            error = $"port '{portText}' in '{text}' is not a number from {(allowPortZero ? 0 : 1)} to 65535";
            return false;
        }

        result = new HostPort(host, port);
        error = "";
        return true;
    }

    /// <summary>
    /// Letters, digits, '-', '.' and '_' in non-empty labels; a dotted-quad must be a real IPv4 address
    /// (so <c>300.1.1.1</c> is rejected instead of looked up in DNS).
    /// </summary>
    public static bool IsValidHostName(string host)
    {
        if (host.Length is 0 or > 253) return false;
        var allDigitsAndDots = true;
        var labelLength = 0;
        foreach (var c in host)
        {
            if (c == '.')
            {
                if (labelLength == 0) return false;
                labelLength = 0;
                continue;
            }
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
            if (!char.IsAsciiDigit(c)) allDigitsAndDots = false;
            if (++labelLength > 63) return false;
        }
        if (labelLength == 0) return false;
        return !allDigitsAndDots || IPAddress.TryParse(host, out _) && host.Count(c => c == '.') == 3;
    }
}

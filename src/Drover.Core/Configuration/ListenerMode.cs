namespace Drover.Core.Configuration;

public enum ListenerMode
{
    /// <summary>L7 reverse proxy: HTTP/1.1 and h2c, routed by host, path, header and method.</summary>
    Http,
    /// <summary>L4 TCP proxy, optionally routed by the TLS ClientHello's server name.</summary>
    Tcp,
}

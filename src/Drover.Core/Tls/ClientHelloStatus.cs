namespace Drover.Core.Tls;

/// <summary>Outcome of parsing the bytes a client has sent so far.</summary>
public enum ClientHelloStatus
{
    /// <summary>A whole, well-formed ClientHello is buffered.</summary>
    Complete,

    /// <summary>Everything so far is consistent, but the declared lengths say more bytes are coming.</summary>
    NeedMoreData,

    /// <summary>Not a (valid) TLS ClientHello; the connection should be dropped.</summary>
    Invalid,
}

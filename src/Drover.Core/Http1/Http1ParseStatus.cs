namespace Drover.Core.Http1;

/// <summary>Outcome of parsing an HTTP/1.1 message head.</summary>
public enum Http1ParseStatus
{
    /// <summary>A whole head inside the strict subset this library accepts; safe for the fast path.</summary>
    Complete,

    /// <summary>No CRLFCRLF yet and still under the size and header-count limits; read more and parse again.</summary>
    Incomplete,

    /// <summary>Valid or possibly valid HTTP that the fast path does not handle; hand it to a full server.</summary>
    Unsupported,

    /// <summary>Certainly malformed.</summary>
    Invalid,
}

namespace Drover.Core.Http1;

/// <summary>How the body following a response head is delimited (RFC 9112 6.3).</summary>
public enum BodyFraming
{
    /// <summary>No body: response to HEAD, 204 or 304.</summary>
    None,

    /// <summary>Exactly <see cref="Http1ResponseHead.ContentLength"/> bytes.</summary>
    ContentLength,

    /// <summary>Chunked transfer coding; delimit it with <see cref="ChunkedBodyScanner"/>.</summary>
    Chunked,

    /// <summary>Everything until the backend closes the connection.</summary>
    UntilClose,
}

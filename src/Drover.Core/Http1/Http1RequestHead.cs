namespace Drover.Core.Http1;

/// <summary>
/// Result of <see cref="Http1RequestParser.Parse"/>: offsets into the parsed bytes plus what the
/// proxy needs to forward the request. Reused across requests via <see cref="Reset"/>; fields other
/// than <see cref="Reason"/> are meaningful only after <see cref="Http1ParseStatus.Complete"/>.
/// </summary>
public sealed class Http1RequestHead
{
    public const int MaxHeaders = 64;
    public const int MaxHeadBytes = 16 * 1024;

    public HeaderField[] Headers { get; } = new HeaderField[MaxHeaders];
    public int HeaderCount;

    /// <summary>Bytes of the head including the terminating CRLFCRLF.</summary>
    public int HeadLength;

    /// <summary>The method starts at offset 0.</summary>
    public int MethodLength;

    /// <summary>Origin-form target (path and query).</summary>
    public int TargetStart, TargetLength;

    /// <summary>Index in <see cref="Headers"/> of the single Host header.</summary>
    public int HostIndex = -1;

    /// <summary>Index of the single X-Forwarded-For header, or -1.</summary>
    public int XForwardedForIndex = -1;

    /// <summary>Value of Content-Length, or -1 when the request has no body.</summary>
    public long ContentLength = -1;

    /// <summary>The client sent Connection: close.</summary>
    public bool ConnectionClose;

    /// <summary>The method is exactly "HEAD".</summary>
    public bool IsHead;

    /// <summary>
    /// Bit i set: Headers[i] must not be forwarded (hop-by-hop, named by Connection, or an
    /// X-Forwarded-For/-Proto/-Host header that the proxy rewrites).
    /// </summary>
    public ulong DropMask;

    /// <summary>For Unsupported or Invalid: a short reason (a literal, never allocated per call).</summary>
    public string? Reason;

    /// <summary>Length of "METHOD TARGET HTTP/1.1\r\n".</summary>
    public int RequestLineLength => TargetStart + TargetLength + 11;

    public void Reset()
    {
        HeaderCount = 0;
        HeadLength = 0;
        MethodLength = 0;
        TargetStart = 0;
        TargetLength = 0;
        HostIndex = -1;
        XForwardedForIndex = -1;
        ContentLength = -1;
        ConnectionClose = false;
        IsHead = false;
        DropMask = 0;
        Reason = null;
    }
}

namespace Drover.Core.Http1;

/// <summary>
/// Result of <see cref="Http1ResponseParser.Parse"/>. Reused across responses via <see cref="Reset"/>;
/// fields other than <see cref="Reason"/> are meaningful only after <see cref="Http1ParseStatus.Complete"/>.
/// </summary>
public sealed class Http1ResponseHead
{
    public const int MaxHeaders = 64;
    public const int MaxHeadBytes = 16 * 1024;

    public HeaderField[] Headers { get; } = new HeaderField[MaxHeaders];
    public int HeaderCount;

    /// <summary>Bytes of the head including the terminating CRLFCRLF.</summary>
    public int HeadLength;

    /// <summary>Bytes of the status line including its CRLF.</summary>
    public int StatusLineLength;

    public int StatusCode;

    /// <summary>The backend answered with HTTP/1.0.</summary>
    public bool IsHttp10;

    public BodyFraming Framing;

    /// <summary>Body length when <see cref="Framing"/> is <see cref="BodyFraming.ContentLength"/>, otherwise -1.</summary>
    public long ContentLength = -1;

    /// <summary>The backend connection must not be reused after this response.</summary>
    public bool ConnectionClose;

    /// <summary>Bit i set: Headers[i] must not be forwarded to the client.</summary>
    public ulong DropMask;

    /// <summary>For Unsupported or Invalid: a short reason (a literal, never allocated per call).</summary>
    public string? Reason;

    public void Reset()
    {
        HeaderCount = 0;
        HeadLength = 0;
        StatusLineLength = 0;
        StatusCode = 0;
        IsHttp10 = false;
        Framing = BodyFraming.None;
        ContentLength = -1;
        ConnectionClose = false;
        DropMask = 0;
        Reason = null;
    }
}

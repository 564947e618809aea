using System.Text;
using Drover.Core.Http1;
using Xunit;
using static Drover.Core.Tests.Http1.Http1TestText;

namespace Drover.Core.Tests.Http1;

public class Http1RequestParserTests
{
    // ---- Typical requests -------------------------------------------------------------------

    public sealed record Typical(string Client, string Head, string Body, string Method, string Target, string Host,
        long ContentLength, string[] Dropped, bool ConnectionClose = false)
    {
        public override string ToString() => Client;
    }

    public static readonly Typical[] TypicalRequests =
    [
        new("curl", "GET /index.html?q=1&r=%20x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
            "", "GET", "/index.html?q=1&r=%20x", "example.com", -1, []),
        new("wrk", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "", "GET", "/", "127.0.0.1:8080", -1, []),
        new("curl-post", "POST /submit HTTP/1.1\r\nHost: localhost:5000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nContent-Length: 7\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n",
            "a=1&b=2", "POST", "/submit", "localhost:5000", 7, []),
        new("HttpClient", "PUT /api/items/42 HTTP/1.1\r\nHost: api.internal:8443\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 13\r\n\r\n",
            "{\"a\":\"hello\"}", "PUT", "/api/items/42", "api.internal:8443", 13, []),
        new("chrome",
            "GET /app/page?id=7 HTTP/1.1\r\n" +
            "Host: www.example.org\r\n" +
            "Connection: keep-alive\r\n" +
            "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
            "sec-ch-ua-mobile: ?0\r\n" +
            "sec-ch-ua-platform: \"Linux\"\r\n" +
            "Upgrade-Insecure-Requests: 1\r\n" +
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
            "Sec-Fetch-Site: none\r\n" +
            "Sec-Fetch-Mode: navigate\r\n" +
            "Sec-Fetch-User: ?1\r\n" +
            "Sec-Fetch-Dest: document\r\n" +
            "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
            "Accept-Language: en-US,en;q=0.9\r\n" +
            "Cookie: session=abc123; theme=dark\r\n\r\n",
            "", "GET", "/app/page?id=7", "www.example.org", -1, ["Connection"]),
        new("firefox",
            "HEAD /favicon.ico HTTP/1.1\r\n" +
            "Host: [::1]:8080\r\n" +
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n" +
            "Accept: image/avif,image/webp,*/*\r\n" +
            "Accept-Language: en-US,en;q=0.5\r\n" +
            "Accept-Encoding: gzip, deflate, br\r\n" +
            "Connection: keep-alive\r\n" +
            "Referer: http://[::1]:8080/\r\n" +
            "Sec-Fetch-Dest: image\r\n" +
            "Sec-Fetch-Mode: no-cors\r\n" +
            "Sec-Fetch-Site: same-origin\r\n" +
            "Priority: u=6\r\n" +
            "TE: trailers\r\n\r\n",
            "", "HEAD", "/favicon.ico", "[::1]:8080", -1, ["Connection", "TE"]),
        new("behind-proxy",
            "DELETE /x HTTP/1.1\r\nhost:\tsvc.local \r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nx-forwarded-proto: https\r\nX-FORWARDED-HOST: public.example\r\n" +
            "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nTrailer: X-Sum\r\nConnection: close\r\n\r\n",
            "", "DELETE", "/x", "svc.local", -1,
            ["X-Forwarded-For", "x-forwarded-proto", "X-FORWARDED-HOST", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Trailer", "Connection"],
            ConnectionClose: true),
    ];

    public static TheoryData<Typical> TypicalData()
    {
        var data = new TheoryData<Typical>();
        foreach (var t in TypicalRequests) data.Add(t);
        return data;
    }

    [Theory]
    [MemberData(nameof(TypicalData))]
    public void Typical_IsCompleteWithCorrectOffsets(Typical t)
    {
        byte[] data = Bytes(t.Head + t.Body + "GET /next HTTP/1.1\r\n");   // body and a pipelined request follow
        var head = new Http1RequestHead();

        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(data, head));

        Assert.Null(head.Reason);
        Assert.Equal(t.Head.Length, head.HeadLength);
        Assert.Equal(t.Method, Text(data.AsSpan(0, head.MethodLength)));
        Assert.Equal(t.Method.Length + 1, head.TargetStart);
        Assert.Equal(t.Target, Text(data.AsSpan(head.TargetStart, head.TargetLength)));
        Assert.Equal(t.ContentLength, head.ContentLength);
        Assert.Equal(t.Method == "HEAD", head.IsHead);
        Assert.Equal(t.ConnectionClose, head.ConnectionClose);

        var expected = SplitFields(t.Head);
        Assert.Equal(expected.Count, head.HeaderCount);
        ulong expectedDrop = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, Text(head.Headers[i].Name(data)));
            Assert.Equal(expected[i].Value, Text(head.Headers[i].Value(data)));
            if (Array.IndexOf(t.Dropped, expected[i].Name) >= 0)
                expectedDrop |= 1UL << i;
        }
        Assert.Equal(expectedDrop, head.DropMask);
        Assert.Equal(t.Host, Text(head.Headers[head.HostIndex].Value(data)));
        Assert.Equal(expected.FindIndex(f => f.Name == "X-Forwarded-For"), head.XForwardedForIndex);
    }

    [Theory]
    [MemberData(nameof(TypicalData))]
    public void Typical_EveryStrictPrefix_IsIncomplete(Typical t)
    {
        byte[] data = Bytes(t.Head);
        var head = new Http1RequestHead();
        for (int length = 0; length < data.Length; length++)
        {
            var status = Http1RequestParser.Parse(data.AsSpan(0, length), head);
            Assert.True(status == Http1ParseStatus.Incomplete, $"prefix {length}: {status} ({head.Reason})");
            Assert.Equal(0, head.HeadLength);
        }
    }

    [Fact]
    public void HeadObject_IsResetBetweenParses()
    {
        var head = new Http1RequestHead();
        byte[] first = Bytes(TypicalRequests[^1].Head);
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(first, head));
        Assert.True(head.ConnectionClose);

        byte[] second = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(second, head));
        Assert.Equal(1, head.HeaderCount);
        Assert.Equal(0, head.HostIndex);
        Assert.Equal(-1, head.XForwardedForIndex);
        Assert.Equal(-1, head.ContentLength);
        Assert.False(head.ConnectionClose);
        Assert.False(head.IsHead);
        Assert.Equal(0UL, head.DropMask);
    }

    // ---- Smuggling and edge cases ---------------------------------------------------------------

    private const string Start = "GET / HTTP/1.1\r\nHost: a\r\n";
    private const string Post = "POST / HTTP/1.1\r\nHost: a\r\n";

    public static TheoryData<string, string, Http1ParseStatus> EdgeCases() => new()
    {
        // Framing
        { "CL+TE", Post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Unsupported },
        { "TE+CL", Post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "TE chunked", Post + "Transfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Unsupported },
        { "TE xchunked", Post + "Transfer-Encoding: xchunked\r\n\r\n", Http1ParseStatus.Unsupported },
        { "TE empty", Post + "Transfer-Encoding:\r\n\r\n", Http1ParseStatus.Unsupported },
        { "TE underscore", Post + "Transfer_Encoding: chunked\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL underscore", Post + "Content_Length: 5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "duplicate CL same", Post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "duplicate CL different", Post + "Content-Length: 5\r\ncontent-length: 6\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL +5", Post + "Content-Length: +5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL -1", Post + "Content-Length: -1\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL 5 5", Post + "Content-Length: 5 5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL 5, 5", Post + "Content-Length: 5, 5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL hex", Post + "Content-Length: 0x5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL 19 digits", Post + "Content-Length: 1234567890123456789\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL empty", Post + "Content-Length:\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CL vertical tab", Post + "Content-Length: \v5\r\n\r\n", Http1ParseStatus.Invalid },
        { "CL space before colon", Post + "Content-Length : 5\r\n\r\n", Http1ParseStatus.Invalid },
        { "CL leading OWS is fine", Post + "Content-Length:  \t5 \r\n\r\n", Http1ParseStatus.Complete },
        { "CL 18 digits", Post + "Content-Length: 123456789012345678\r\n\r\n", Http1ParseStatus.Complete },
        { "Connection: content-length", Post + "Connection: content-length\r\nContent-Length: 5\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Connection: transfer-encoding", Post + "Connection: Transfer-Encoding\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Connection: host", Start + "Connection: host\r\n\r\n", Http1ParseStatus.Unsupported },

        // Host
        { "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", Http1ParseStatus.Invalid },
        { "tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "missing Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", Http1ParseStatus.Invalid },
        { "no headers", "GET / HTTP/1.1\r\n\r\n", Http1ParseStatus.Invalid },
        { "two Hosts", Start + "host: b\r\n\r\n", Http1ParseStatus.Invalid },
        { "two identical Hosts", Start + "Host: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", Http1ParseStatus.Unsupported },
        { "Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Host with userinfo", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Host with comma", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", Http1ParseStatus.Unsupported },
        { "XFF underscore", Start + "X_Forwarded_For: 1.2.3.4\r\n\r\n", Http1ParseStatus.Unsupported },
        { "custom underscore name", Start + "X_Custom_Header: 1\r\n\r\n", Http1ParseStatus.Complete },

        // Line syntax
        { "obs-fold space", Start + "X-A: b\r\n c\r\n\r\n", Http1ParseStatus.Invalid },
        { "obs-fold tab", Start + "X-A: b\r\n\tc\r\n\r\n", Http1ParseStatus.Invalid },
        { "whitespace before first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare LF after header", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare LF terminator", Start + "\n", Http1ParseStatus.Invalid },
        { "bare LF at start", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare CR in value", Start + "X: a\rb\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare CR terminator", Start + "\rX", Http1ParseStatus.Invalid },
        { "NUL in value", Start + "X: a\0b\r\n\r\n", Http1ParseStatus.Invalid },
        { "DEL in value", Start + "X: a\u007Fb\r\n\r\n", Http1ParseStatus.Invalid },
        { "obs-text in value", Start + "X: caf\u00e9\r\n\r\n", Http1ParseStatus.Unsupported },
        { "invalid name char (", Start + "X(a): b\r\n\r\n", Http1ParseStatus.Invalid },
        { "invalid name char @", Start + "X@a: b\r\n\r\n", Http1ParseStatus.Invalid },
        { "invalid name char quote", Start + "X\"a: b\r\n\r\n", Http1ParseStatus.Invalid },
        { "non-ASCII name", Start + "Caf\u00e9: b\r\n\r\n", Http1ParseStatus.Invalid },
        { "empty name", Start + ": b\r\n\r\n", Http1ParseStatus.Invalid },
        { "no colon", Start + "X-A\r\n\r\n", Http1ParseStatus.Invalid },
        { "tchar name", Start + "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", Http1ParseStatus.Complete },
        { "empty value", Start + "X-Empty:\r\n\r\n", Http1ParseStatus.Complete },

        // Request line
        { "absolute-form", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "authority-form", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", Http1ParseStatus.Unsupported },
        { "asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "lower-case head", "head / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "mixed-case connect", "Connect / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "custom method", "PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Complete },
        { "HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Http1ParseStatus.Unsupported },
        { "lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "trailing space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "no version", "GET /\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "tab in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "non-ASCII target", "GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "method with slash", "GE/T / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Invalid },
        { "leading empty line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Http1ParseStatus.Unsupported },
        { "TLS ClientHello", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", Http1ParseStatus.Invalid },

        // Headers the fast path leaves alone
        { "Expect", Post + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Upgrade", Start + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Upgrade alone", Start + "Upgrade: websocket\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Connection: Upgrade", Start + "Connection: Upgrade\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Connection: keep-alive, UPGRADE", Start + "Connection: keep-alive, UPGRADE\r\n\r\n", Http1ParseStatus.Unsupported },
        { "h2c", Start + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", Http1ParseStatus.Unsupported },
        { "HTTP2-Settings", Start + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Connection element not a token", Start + "Connection: \"close\"\r\n\r\n", Http1ParseStatus.Unsupported },
        { "Connection empty elements", Start + "Connection: , close ,,\r\n\r\n", Http1ParseStatus.Complete },
        { "two X-Forwarded-For", Start + "X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n", Http1ParseStatus.Unsupported },
        { "two X-Forwarded-Proto", Start + "X-Forwarded-Proto: http\r\nX-Forwarded-Proto: https\r\n\r\n", Http1ParseStatus.Complete },
        { "Upgrade-Insecure-Requests", Start + "Upgrade-Insecure-Requests: 1\r\n\r\n", Http1ParseStatus.Complete },
    };

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void EdgeCase_HasExpectedStatus(string name, string request, Http1ParseStatus expected)
    {
        byte[] data = Bytes(request);
        var head = new Http1RequestHead();

        var status = Http1RequestParser.Parse(data, head);

        Assert.True(expected == status, $"{name}: expected {expected}, got {status} ({head.Reason})");
        if (status == Http1ParseStatus.Complete)
        {
            Assert.Null(head.Reason);
            Assert.Equal(data.Length, head.HeadLength);
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(head.Reason));
        }
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void EdgeCase_PrefixesAreIncompleteOrAlreadyFinal(string name, string request, Http1ParseStatus expected)
    {
        // A verdict reached on a prefix must never change when more bytes arrive.
        byte[] data = Bytes(request);
        var head = new Http1RequestHead();
        for (int length = 0; length < data.Length; length++)
        {
            var status = Http1RequestParser.Parse(data.AsSpan(0, length), head);
            Assert.True(status == Http1ParseStatus.Incomplete || status == expected, $"{name}, prefix {length}: {status}");
        }
    }

    [Fact]
    public void ContentLength_WithLeadingOws_IsParsed()
    {
        var head = new Http1RequestHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(Bytes(Post + "Content-Length: \t 0005 \r\n\r\n"), head));
        Assert.Equal(5, head.ContentLength);

        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(Bytes(Post + "Content-Length: 0\r\n\r\n"), head));
        Assert.Equal(0, head.ContentLength);

        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(Bytes(Post + "content-LENGTH: 999999999999999999\r\n\r\n"), head));
        Assert.Equal(999_999_999_999_999_999, head.ContentLength);
    }

    [Theory]
    [InlineData("HEAD", true)]
    [InlineData("GET", false)]
    [InlineData("HEADX", false)]
    [InlineData("XHEAD", false)]
    public void IsHead_OnlyForExactHead(string method, bool expected)
    {
        var head = new Http1RequestHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(Bytes(method + " / HTTP/1.1\r\nHost: a\r\n\r\n"), head));
        Assert.Equal(expected, head.IsHead);
        Assert.Equal(method.Length, head.MethodLength);
    }

    // ---- Limits -----------------------------------------------------------------------------

    private static string ManyHeaders(int count)
    {
        var sb = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 1; i < count; i++) sb.Append("X-H").Append(i).Append(": v\r\n");
        return sb.Append("\r\n").ToString();
    }

    [Fact]
    public void Headers_64AreComplete_65AreUnsupported()
    {
        var head = new Http1RequestHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(Bytes(ManyHeaders(64)), head));
        Assert.Equal(64, head.HeaderCount);

        Assert.Equal(Http1ParseStatus.Unsupported, Http1RequestParser.Parse(Bytes(ManyHeaders(65)), head));
        Assert.Contains("64", head.Reason);
    }

    private static byte[] HeadOfLength(int length)
    {
        string start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
        return Bytes(start + new string('p', length - start.Length - 4) + "\r\n\r\n");
    }

    [Fact]
    public void HeadSize_16KiBIsComplete_LongerIsUnsupported()
    {
        var head = new Http1RequestHead();
        byte[] exact = HeadOfLength(Http1RequestHead.MaxHeadBytes);
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(exact, head));
        Assert.Equal(Http1RequestHead.MaxHeadBytes, head.HeadLength);

        byte[] tooLong = HeadOfLength(Http1RequestHead.MaxHeadBytes + 1);
        Assert.Equal(Http1ParseStatus.Unsupported, Http1RequestParser.Parse(tooLong, head));
        Assert.Equal("head exceeds 16 KiB", head.Reason);

        // Without a terminator: Incomplete while under the limit, Unsupported once it is reached.
        Assert.Equal(Http1ParseStatus.Incomplete, Http1RequestParser.Parse(tooLong.AsSpan(0, Http1RequestHead.MaxHeadBytes - 1), head));
        Assert.Equal(Http1ParseStatus.Unsupported, Http1RequestParser.Parse(tooLong.AsSpan(0, Http1RequestHead.MaxHeadBytes), head));
    }

    // ---- DropMask ---------------------------------------------------------------------------

    [Fact]
    public void ConnectionListedHeaders_AreDroppedBeforeAndAfterConnection()
    {
        byte[] data = Bytes("GET / HTTP/1.1\r\n" +
            "X-Before: 1\r\n" +             // 0
            "Host: a\r\n" +                 // 1
            "x-after: 2\r\n" +              // 2
            "Connection: X-After, close\r\n" + // 3
            "connection: x-before\r\n" +     // 4
            "X-Keep: 3\r\n" +               // 5
            "X-BEFORE: 4\r\n" +             // 6
            "Keep-Alive: timeout=1\r\n" +   // 7
            "X-Forwarded-Host: h\r\n" +     // 8
            "Cookie: c=1\r\n\r\n");         // 9
        var head = new Http1RequestHead();

        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(data, head));

        ulong expected = (1UL << 0) | (1UL << 2) | (1UL << 3) | (1UL << 4) | (1UL << 6) | (1UL << 7) | (1UL << 8);
        Assert.Equal(expected, head.DropMask);
        Assert.True(head.ConnectionClose);
        Assert.Equal(1, head.HostIndex);
    }

    [Fact]
    public void ConnectionListingAHeaderThatIsAbsent_DropsOnlyConnection()
    {
        var head = new Http1RequestHead();
        Assert.Equal(Http1ParseStatus.Complete,
            Http1RequestParser.Parse(Bytes("GET / HTTP/1.1\r\nConnection: x-missing, keep-alive\r\nHost: a\r\n\r\n"), head));
        Assert.Equal(1UL, head.DropMask);
        Assert.False(head.ConnectionClose);
    }

    [Fact]
    public void DropMask_CoversTheLastOf64Headers()
    {
        string request = ManyHeaders(63).Replace("\r\n\r\n", "\r\nConnection: x-h1\r\n\r\n");
        var head = new Http1RequestHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(Bytes(request), head));
        Assert.Equal(64, head.HeaderCount);
        Assert.Equal((1UL << 63) | (1UL << 1), head.DropMask);
    }

    // ---- Fuzz and allocation ----------------------------------------------------------------

    [Fact]
    public void Fuzz_RandomAndMutatedInputs_NeverThrowAndKeepOffsetsInRange()
    {
        var random = new Random(9112);
        byte[][] seeds = [.. TypicalRequests.Select(t => Bytes(t.Head + t.Body)),
            Bytes(Post + "Content-Length: 5\r\nConnection: x-a, close\r\nX-A: 1\r\nX-Forwarded-For: 1.2.3.4\r\n\r\nhello")];
        var head = new Http1RequestHead();
        var prefixHead = new Http1RequestHead();
        int complete = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data;
            if (i % 5 == 0)
            {
                data = new byte[random.Next(0, 300)];
                random.NextBytes(data);
                if (i % 10 == 0 && data.Length > 4) "GET "u8.CopyTo(data);
            }
            else
            {
                data = Mutate(seeds[random.Next(seeds.Length)], random);
            }

            var status = Http1RequestParser.Parse(data, head);

            if (status == Http1ParseStatus.Complete)
            {
                complete++;
                AssertOffsetsInRange(data, head);
            }
            else
            {
                Assert.Equal(0, head.HeadLength);
                Assert.Equal(status == Http1ParseStatus.Incomplete, head.Reason is null);
            }

            // Incremental consistency: a prefix is Incomplete or already has the final verdict.
            int cut = random.Next(0, data.Length + 1);
            var prefixStatus = Http1RequestParser.Parse(data.AsSpan(0, cut), prefixHead);
            if (prefixStatus != Http1ParseStatus.Incomplete)
            {
                Assert.Equal(status, prefixStatus);
                if (status == Http1ParseStatus.Complete)
                    Assert.Equal(head.HeadLength, prefixHead.HeadLength);
            }
            else if (status == Http1ParseStatus.Complete)
            {
                Assert.True(cut < head.HeadLength);
            }
        }
        Assert.True(complete > 1000, $"only {complete} inputs were Complete; the mutations are too destructive");
    }

    private static void AssertOffsetsInRange(byte[] data, Http1RequestHead head)
    {
        Assert.InRange(head.HeadLength, 1, Math.Min(data.Length, Http1RequestHead.MaxHeadBytes));
        Assert.True(data.AsSpan(head.HeadLength - 4, 4).SequenceEqual("\r\n\r\n"u8));
        Assert.InRange(head.MethodLength, 1, head.HeadLength);
        Assert.Equal((byte)'/', data[head.TargetStart]);
        Assert.InRange(head.TargetStart + head.TargetLength, 0, head.HeadLength);
        Assert.InRange(head.HeaderCount, 1, Http1RequestHead.MaxHeaders);
        Assert.InRange(head.HostIndex, 0, head.HeaderCount - 1);
        Assert.InRange(head.XForwardedForIndex, -1, head.HeaderCount - 1);
        Assert.InRange(head.ContentLength, -1, 999_999_999_999_999_999);
        if (head.HeaderCount < 64)
            Assert.Equal(0UL, head.DropMask >> head.HeaderCount);
        for (int h = 0; h < head.HeaderCount; h++)
        {
            HeaderField f = head.Headers[h];
            Assert.InRange(f.NameStart, head.RequestLineLength, head.HeadLength);
            Assert.InRange(f.NameLength, 1, head.HeadLength - f.NameStart);
            Assert.InRange(f.ValueStart, f.NameStart + f.NameLength + 1, head.HeadLength);
            Assert.InRange(f.ValueLength, 0, head.HeadLength - f.ValueStart);
        }
    }

    [Fact]
    public void Parse_AfterWarmUp_AllocatesNothing()
    {
        byte[] typical = Bytes(TypicalRequests[4].Head);              // browser request with Connection
        byte[] proxied = Bytes(TypicalRequests[^1].Head);             // hop-by-hop and X-Forwarded-*
        byte[] partial = typical.AsSpan(0, typical.Length / 2).ToArray();
        byte[] unsupported = Bytes(Post + "Transfer-Encoding: chunked\r\n\r\n");
        byte[] invalid = Bytes(Start + "X: a\0b\r\n\r\n");
        var head = new Http1RequestHead();

        void Run()
        {
            Http1RequestParser.Parse(typical, head);
            Http1RequestParser.Parse(proxied, head);
            Http1RequestParser.Parse(partial, head);
            Http1RequestParser.Parse(unsupported, head);
            Http1RequestParser.Parse(invalid, head);
        }

        for (int i = 0; i < 100; i++) Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

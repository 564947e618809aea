using System.Text;
using Drover.Core.Http1;
using Xunit;
using static Drover.Core.Tests.Http1.Http1TestText;

namespace Drover.Core.Tests.Http1;

public class Http1ResponseParserTests
{
    private const string Kestrel =
        "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\nDate: Tue, 04 Jun 2024 10:00:00 GMT\r\nServer: Kestrel\r\n\r\n";
    private const string NginxChunked =
        "HTTP/1.1 200 OK\r\nServer: nginx/1.25.3\r\nDate: Tue, 04 Jun 2024 10:00:00 GMT\r\nContent-Type: text/html\r\n" +
        "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";

    private static Http1ResponseHead Parse(string response, Http1ParseStatus expected, bool requestWasHead = false)
    {
        var head = new Http1ResponseHead();
        var status = Http1ResponseParser.Parse(Bytes(response), head, requestWasHead);
        Assert.True(expected == status, $"expected {expected}, got {status} ({head.Reason})");
        if (status == Http1ParseStatus.Complete)
            Assert.Null(head.Reason);
        else if (status != Http1ParseStatus.Incomplete)
            Assert.False(string.IsNullOrEmpty(head.Reason));
        return head;
    }

    // ---- Framing ----------------------------------------------------------------------------

    [Fact]
    public void ContentLength_IsParsedWithOffsets()
    {
        byte[] data = Bytes(Kestrel + "Hello world!HTTP/1.1 204 No Content\r\n");
        var head = new Http1ResponseHead();

        Assert.Equal(Http1ParseStatus.Complete, Http1ResponseParser.Parse(data, head, requestWasHead: false));

        Assert.Equal(Kestrel.Length, head.HeadLength);
        Assert.Equal("HTTP/1.1 200 OK\r\n".Length, head.StatusLineLength);
        Assert.Equal(200, head.StatusCode);
        Assert.Equal(BodyFraming.ContentLength, head.Framing);
        Assert.Equal(12, head.ContentLength);
        Assert.False(head.ConnectionClose);
        Assert.False(head.IsHttp10);
        Assert.Equal(0UL, head.DropMask);
        var expected = SplitFields(Kestrel);
        Assert.Equal(expected.Count, head.HeaderCount);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, Text(head.Headers[i].Name(data)));
            Assert.Equal(expected[i].Value, Text(head.Headers[i].Value(data)));
        }
    }

    [Fact]
    public void Chunked_IsParsed_TransferEncodingKept_HopByHopDropped()
    {
        var head = Parse(NginxChunked, Http1ParseStatus.Complete);
        Assert.Equal(BodyFraming.Chunked, head.Framing);
        Assert.Equal(-1, head.ContentLength);
        Assert.False(head.ConnectionClose);
        Assert.Equal((1UL << 4) | (1UL << 5), head.DropMask);   // Connection, Keep-Alive; not Transfer-Encoding (3)
    }

    [Theory]
    [InlineData("chunked")]
    [InlineData("Chunked")]
    [InlineData("CHUNKED ")]
    public void Chunked_IsCaseInsensitive(string value)
    {
        var head = Parse($"HTTP/1.1 200 OK\r\nTransfer-Encoding: {value}\r\n\r\n", Http1ParseStatus.Complete);
        Assert.Equal(BodyFraming.Chunked, head.Framing);
    }

    [Fact]
    public void NoLength_IsUntilClose()
    {
        var head = Parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", Http1ParseStatus.Complete);
        Assert.Equal(BodyFraming.UntilClose, head.Framing);
        Assert.True(head.ConnectionClose);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", true)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", false)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\nETag: \"x\"\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false)]
    public void HeadRequestAnd204And304_HaveNoBody(string response, bool requestWasHead)
    {
        var head = Parse(response, Http1ParseStatus.Complete, requestWasHead);
        Assert.Equal(BodyFraming.None, head.Framing);
        Assert.Equal(-1, head.ContentLength);
        Assert.False(head.ConnectionClose);
    }

    [Fact]
    public void SameResponse_HasBodyUnlessRequestWasHead()
    {
        const string response = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        Assert.Equal(BodyFraming.ContentLength, Parse(response, Http1ParseStatus.Complete, requestWasHead: false).Framing);
        Assert.Equal(BodyFraming.None, Parse(response, Http1ParseStatus.Complete, requestWasHead: true).Framing);
    }

    [Theory]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", BodyFraming.ContentLength)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n", BodyFraming.ContentLength)]
    [InlineData("HTTP/1.0 200 OK\r\n\r\n", BodyFraming.UntilClose)]
    [InlineData("HTTP/1.0 304 Not Modified\r\n\r\n", BodyFraming.None)]
    public void Http10_ClosesTheConnection(string response, BodyFraming framing)
    {
        var head = Parse(response, Http1ParseStatus.Complete);
        Assert.True(head.IsHttp10);
        Assert.True(head.ConnectionClose);
        Assert.Equal(framing, head.Framing);
    }

    [Theory]
    [InlineData("Connection: close", true)]
    [InlineData("Connection: Keep-Alive, CLOSE", true)]
    [InlineData("Connection: keep-alive", false)]
    public void ConnectionHeader_SetsConnectionClose(string header, bool close)
    {
        var head = Parse($"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n{header}\r\n\r\n", Http1ParseStatus.Complete);
        Assert.Equal(close, head.ConnectionClose);
        Assert.Equal(1UL << 1, head.DropMask);
    }

    [Fact]
    public void DropMask_HopByHopAndConnectionListed()
    {
        const string response = "HTTP/1.1 200 OK\r\n" +
            "X-Internal: 1\r\n" +           // 0 listed below
            "Content-Length: 0\r\n" +       // 1
            "Keep-Alive: timeout=5\r\n" +   // 2
            "Proxy-Connection: close\r\n" + // 3
            "TE: trailers\r\n" +            // 4
            "Trailer: X-Sum\r\n" +          // 5
            "Upgrade: h2c\r\n" +            // 6
            "Connection: x-internal, X-Other\r\n" + // 7
            "x-other: 2\r\n" +              // 8 listed
            "Set-Cookie: a=1\r\n" +         // 9
            "Content-Length: 0\r\n\r\n";    // 10 identical duplicate, forwarded once
        var head = Parse(response, Http1ParseStatus.Complete);
        ulong expected = 0;
        foreach (int i in new[] { 0, 2, 3, 4, 5, 6, 7, 8, 10 }) expected |= 1UL << i;
        Assert.Equal(expected, head.DropMask);
        Assert.Equal(0, head.ContentLength);
    }

    // ---- Errors -----------------------------------------------------------------------------

    public static TheoryData<string, string, Http1ParseStatus> EdgeCases() => new()
    {
        { "CL+TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "TE+CL", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", Http1ParseStatus.Invalid },
        { "CL+TE on 304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "conflicting CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", Http1ParseStatus.Invalid },
        { "identical CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 005\r\n\r\n", Http1ParseStatus.Complete },
        { "CL list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", Http1ParseStatus.Invalid },
        { "CL sign", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", Http1ParseStatus.Invalid },
        { "CL 19 digits", "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", Http1ParseStatus.Invalid },
        { "TE gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "TE xchunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "two TE", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "Connection: content-length", "HTTP/1.1 200 OK\r\nConnection: content-length\r\nContent-Length: 5\r\n\r\n", Http1ParseStatus.Invalid },
        { "Connection: transfer-encoding", "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n", Http1ParseStatus.Invalid },
        { "100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", Http1ParseStatus.Unsupported },
        { "101 Switching", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", Http1ParseStatus.Unsupported },
        { "103 Early Hints", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", Http1ParseStatus.Unsupported },
        { "HTTP/2", "HTTP/2 200\r\n\r\n", Http1ParseStatus.Unsupported },
        { "HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", Http1ParseStatus.Unsupported },
        { "lower-case version", "http/1.1 200 OK\r\n\r\n", Http1ParseStatus.Invalid },
        { "status 600", "HTTP/1.1 600 Nope\r\n\r\n", Http1ParseStatus.Invalid },
        { "status 099", "HTTP/1.1 099 Nope\r\n\r\n", Http1ParseStatus.Invalid },
        { "two-digit status", "HTTP/1.1 20 OK\r\n\r\n", Http1ParseStatus.Invalid },
        { "four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", Http1ParseStatus.Invalid },
        { "no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Complete },
        { "empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Complete },
        { "obs-text reason", "HTTP/1.1 200 Tr\u00e8s bien\r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Complete },
        { "NUL in reason", "HTTP/1.1 200 O\0K\r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Invalid },
        { "obs-text value", "HTTP/1.1 200 OK\r\nContent-Disposition: caf\u00e9\r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Complete },
        { "obs-fold", "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare LF status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Invalid },
        { "bare LF header", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", Http1ParseStatus.Invalid },
        { "space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", Http1ParseStatus.Invalid },
        { "NUL in value", "HTTP/1.1 200 OK\r\nX: a\0\r\nContent-Length: 0\r\n\r\n", Http1ParseStatus.Invalid },
        { "garbage", "<html>hello</html>\r\n\r\n", Http1ParseStatus.Invalid },
    };

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void EdgeCase_HasExpectedStatus(string name, string response, Http1ParseStatus expected)
    {
        var head = new Http1ResponseHead();
        var status = Http1ResponseParser.Parse(Bytes(response), head, requestWasHead: false);
        Assert.True(expected == status, $"{name}: expected {expected}, got {status} ({head.Reason})");
        Assert.Equal(status == Http1ParseStatus.Complete, head.Reason is null);
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void EdgeCase_PrefixesAreIncompleteOrAlreadyFinal(string name, string response, Http1ParseStatus expected)
    {
        byte[] data = Bytes(response);
        var head = new Http1ResponseHead();
        for (int length = 0; length < data.Length; length++)
        {
            var status = Http1ResponseParser.Parse(data.AsSpan(0, length), head, requestWasHead: false);
            Assert.True(status == Http1ParseStatus.Incomplete || status == expected, $"{name}, prefix {length}: {status}");
        }
    }

    [Theory]
    [InlineData(Kestrel)]
    [InlineData(NginxChunked)]
    public void Typical_EveryStrictPrefix_IsIncomplete(string response)
    {
        byte[] data = Bytes(response);
        var head = new Http1ResponseHead();
        for (int length = 0; length < data.Length; length++)
            Assert.Equal(Http1ParseStatus.Incomplete, Http1ResponseParser.Parse(data.AsSpan(0, length), head, requestWasHead: false));
    }

    [Fact]
    public void Limits_65HeadersAndOver16KiB_AreUnsupported()
    {
        var sb = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 64; i++) sb.Append("X-H").Append(i).Append(": v\r\n");
        Parse(sb + "\r\n", Http1ParseStatus.Complete);
        Parse(sb + "X-One-More: v\r\n\r\n", Http1ParseStatus.Unsupported);

        string big = "HTTP/1.1 200 OK\r\nX-Pad: " + new string('p', Http1ResponseHead.MaxHeadBytes) + "\r\n\r\n";
        var head = Parse(big, Http1ParseStatus.Unsupported);
        Assert.Equal("head exceeds 16 KiB", head.Reason);
        Parse(big.Substring(0, Http1ResponseHead.MaxHeadBytes - 1), Http1ParseStatus.Incomplete);
    }

    // ---- Fuzz and allocation ----------------------------------------------------------------

    [Fact]
    public void Fuzz_RandomAndMutatedInputs_NeverThrowAndKeepOffsetsInRange()
    {
        var random = new Random(9110);
        byte[][] seeds =
        [
            Bytes(Kestrel + "Hello world!"), Bytes(NginxChunked + "5\r\nhello\r\n0\r\n\r\n"),
            Bytes("HTTP/1.0 404 Not Found\r\nConnection: x-a, close\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n"),
            Bytes("HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n"),
        ];
        var head = new Http1ResponseHead();
        var prefixHead = new Http1ResponseHead();
        int complete = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data;
            if (i % 5 == 0)
            {
                data = new byte[random.Next(0, 300)];
                random.NextBytes(data);
                if (i % 10 == 0 && data.Length > 13) "HTTP/1.1 200 "u8.CopyTo(data);
            }
            else
            {
                data = Mutate(seeds[random.Next(seeds.Length)], random);
            }
            bool wasHead = random.Next(4) == 0;

            var status = Http1ResponseParser.Parse(data, head, wasHead);

            if (status == Http1ParseStatus.Complete)
            {
                complete++;
                Assert.InRange(head.HeadLength, head.StatusLineLength + 2, data.Length);
                Assert.InRange(head.StatusCode, 200, 599);
                Assert.InRange(head.HeaderCount, 0, Http1ResponseHead.MaxHeaders);
                Assert.Equal(head.Framing == BodyFraming.ContentLength, head.ContentLength >= 0);
                if (head.Framing == BodyFraming.UntilClose) Assert.True(head.ConnectionClose);
                for (int h = 0; h < head.HeaderCount; h++)
                {
                    HeaderField f = head.Headers[h];
                    Assert.InRange(f.NameStart, head.StatusLineLength, head.HeadLength);
                    Assert.InRange(f.NameLength, 1, head.HeadLength - f.NameStart);
                    Assert.InRange(f.ValueStart, f.NameStart + f.NameLength + 1, head.HeadLength);
                    Assert.InRange(f.ValueLength, 0, head.HeadLength - f.ValueStart);
                }
            }
            else
            {
                Assert.Equal(0, head.HeadLength);
            }

            int cut = random.Next(0, data.Length + 1);
            var prefixStatus = Http1ResponseParser.Parse(data.AsSpan(0, cut), prefixHead, wasHead);
            if (prefixStatus != Http1ParseStatus.Incomplete)
                Assert.Equal(status, prefixStatus);
        }
        Assert.True(complete > 1000, $"only {complete} inputs were Complete");
    }

    [Fact]
    public void Parse_AfterWarmUp_AllocatesNothing()
    {
        byte[] kestrel = Bytes(Kestrel);
        byte[] chunked = Bytes(NginxChunked);
        byte[] partial = kestrel.AsSpan(0, 30).ToArray();
        byte[] invalid = Bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
        var head = new Http1ResponseHead();

        void Run()
        {
            Http1ResponseParser.Parse(kestrel, head, false);
            Http1ResponseParser.Parse(chunked, head, false);
            Http1ResponseParser.Parse(kestrel, head, true);
            Http1ResponseParser.Parse(partial, head, false);
            Http1ResponseParser.Parse(invalid, head, false);
        }

        for (int i = 0; i < 100; i++) Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

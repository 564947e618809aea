using System.Buffers;
using Drover.Core.Http1;
using Xunit;
using static Drover.Core.Tests.Http1.Http1TestText;

namespace Drover.Core.Tests.Http1;

public class Http1HeadWriterTests
{
    private static string WriteRequest(string request, string clientIp = "192.0.2.7", string proto = "https")
    {
        byte[] data = Bytes(request);
        var head = new Http1RequestHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(data, head));
        var output = new ArrayBufferWriter<byte>();
        Http1HeadWriter.WriteRequest(output, data, head, Bytes(clientIp), Bytes(proto));
        return Text(output.WrittenSpan);
    }

    [Fact]
    public void WriteRequest_FoldsXffAndRewritesForwardedHeaders()
    {
        string written = WriteRequest(
            "POST /api/v1/items?x=1 HTTP/1.1\r\n" +
            "X-Trace: t1\r\n" +
            "Host:   shop.example.com:8443  \r\n" +
            "X-Forwarded-For:  a, b \r\n" +
            "X-Forwarded-Proto: http\r\n" +
            "X-Forwarded-Host: evil.example\r\n" +
            "Connection: keep-alive, X-Trace\r\n" +
            "Keep-Alive: timeout=5\r\n" +
            "Proxy-Authorization: Basic xyz\r\n" +
            "TE: trailers\r\n" +
            "Content-Length: 2\r\n" +
            "Accept:\t*/*\r\n" +
            "X-Empty:\r\n" +
            "\r\n" +
            "{}");

        Assert.Equal(
            "POST /api/v1/items?x=1 HTTP/1.1\r\n" +
            "Host: shop.example.com:8443\r\n" +
            "Content-Length: 2\r\n" +
            "Accept: */*\r\n" +
            "X-Empty: \r\n" +
            "X-Forwarded-For: a, b, 192.0.2.7\r\n" +
            "X-Forwarded-Proto: https\r\n" +
            "X-Forwarded-Host: shop.example.com:8443\r\n" +
            "\r\n", written);
    }

    [Fact]
    public void WriteRequest_WithoutXff_WritesOnlyTheClientIp()
    {
        string written = WriteRequest("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "2001:db8::1", "http");
        Assert.Equal(
            "GET / HTTP/1.1\r\nHost: a\r\n" +
            "X-Forwarded-For: 2001:db8::1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n", written);
    }

    [Fact]
    public void WriteRequest_WithEmptyXff_WritesOnlyTheClientIp()
    {
        string written = WriteRequest("GET / HTTP/1.1\r\nX-Forwarded-For: \r\nHost: a\r\n\r\n", "10.1.1.1", "http");
        Assert.Equal(
            "GET / HTTP/1.1\r\nHost: a\r\n" +
            "X-Forwarded-For: 10.1.1.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n", written);
    }

    [Fact]
    public void WriteRequest_OutputParsesAgainWithOneXff()
    {
        string written = WriteRequest("GET /x HTTP/1.1\r\nHost: a\r\nx-forwarded-for: 1.1.1.1\r\nConnection: close\r\n\r\n");
        byte[] data = Bytes(written);
        var head = new Http1RequestHead();

        Assert.Equal(Http1ParseStatus.Complete, Http1RequestParser.Parse(data, head));
        Assert.Equal(data.Length, head.HeadLength);
        Assert.Equal("1.1.1.1, 192.0.2.7", Text(head.Headers[head.XForwardedForIndex].Value(data)));
        Assert.False(head.ConnectionClose);   // hop-by-hop: not forwarded
    }

    [Fact]
    public void WriteRequest_AppendsAfterExistingOutput()
    {
        byte[] data = Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        var head = new Http1RequestHead();
        Http1RequestParser.Parse(data, head);
        var output = new ArrayBufferWriter<byte>();
        output.Write("prev"u8);

        Http1HeadWriter.WriteRequest(output, data, head, "1.2.3.4"u8, "http"u8);
        Http1HeadWriter.WriteRequest(output, data, head, "1.2.3.4"u8, "http"u8);

        string one = "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n";
        Assert.Equal("prev" + one + one, Text(output.WrittenSpan));
    }

    private const string Response =
        "HTTP/1.1 404 Not Found\r\n" +
        "Content-Type: text/plain\r\n" +
        "Connection: keep-alive, X-Backend\r\n" +
        "Keep-Alive: timeout=5\r\n" +
        "X-Backend:  node-3 \r\n" +
        "Content-Disposition: caf\u00e9\r\n" +
        "Transfer-Encoding: chunked\r\n" +
        "\r\n";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteResponse_KeepsStatusLineAndEndToEndHeaders(bool addConnectionClose)
    {
        byte[] data = Bytes(Response + "0\r\n\r\n");
        var head = new Http1ResponseHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1ResponseParser.Parse(data, head, requestWasHead: false));
        var output = new ArrayBufferWriter<byte>();

        Http1HeadWriter.WriteResponse(output, data, head, addConnectionClose);

        Assert.Equal(
            "HTTP/1.1 404 Not Found\r\n" +
            "Content-Type: text/plain\r\n" +
            "Content-Disposition: caf\u00e9\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            (addConnectionClose ? "Connection: close\r\n" : "") +
            "\r\n", Text(output.WrittenSpan));
    }

    [Fact]
    public void WriteResponse_Http10StatusLineIsVerbatim()
    {
        byte[] data = Bytes("HTTP/1.0 200\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n");
        var head = new Http1ResponseHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1ResponseParser.Parse(data, head, requestWasHead: false));
        var output = new ArrayBufferWriter<byte>();

        Http1HeadWriter.WriteResponse(output, data, head, addConnectionClose: true);

        Assert.Equal("HTTP/1.0 200\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", Text(output.WrittenSpan));
    }

    [Fact]
    public void WriteResponse_AddsAnExtraFieldAfterTheKeptOnes()
    {
        byte[] data = Bytes(Response + "0\r\n\r\n");
        var head = new Http1ResponseHead();
        Assert.Equal(Http1ParseStatus.Complete, Http1ResponseParser.Parse(data, head, requestWasHead: false));
        var output = new ArrayBufferWriter<byte>();

        Http1HeadWriter.WriteResponse(output, data, head, addConnectionClose: true, "Set-Cookie: DROVER=abc; Path=/\r\n"u8);

        Assert.Equal(
            "HTTP/1.1 404 Not Found\r\n" +
            "Content-Type: text/plain\r\n" +
            "Content-Disposition: caf\u00e9\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            "Set-Cookie: DROVER=abc; Path=/\r\n" +
            "Connection: close\r\n" +
            "\r\n", Text(output.WrittenSpan));
    }
}

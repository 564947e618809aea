using System.Text;
using Drover.Core.Http1;
using Xunit;
using static Drover.Core.Tests.Http1.Http1TestText;

namespace Drover.Core.Tests.Http1;

public class ChunkedBodyScannerTests
{
    private const string Next = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

    private static string BigChunk() => "186a0\r\n" + new string('x', 100_000) + "\r\n";

    public static TheoryData<string, string> ValidBodies() => new()
    {
        { "single chunk", "5\r\nhello\r\n0\r\n\r\n" },
        { "empty body", "0\r\n\r\n" },
        { "several chunks", "5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n" },
        { "upper and lower hex", "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n" },
        { "leading zeros", "0005\r\nhello\r\n000\r\n\r\n" },
        { "extensions", "5;name=value;flag\r\nhello\r\n3 ; q=\"a; b\"\r\nabc\r\n0;last=1\r\n\r\n" },
        { "trailers", "5\r\nhello\r\n0\r\nX-Checksum: abc123\r\nServer-Timing: db;dur=53\r\n\r\n" },
        { "empty trailer value", "0\r\nX-Empty:\r\n\r\n" },
        { "obs-text in trailer", "0\r\nX-Name: caf\u00e9\r\n\r\n" },
        { "data containing CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n" },
        { "16 hex digits", "0000000000000003\r\nabc\r\n0\r\n\r\n" },
        { "big chunk", BigChunk() + "0\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void Valid_Whole_CountsOnlyTheBody(string name, string body)
    {
        byte[] data = Bytes(body + Next);
        var scanner = new ChunkedBodyScanner();

        int n = scanner.Scan(data);

        Assert.True(body.Length == n, $"{name}: {n} ({scanner.Error})");
        Assert.True(scanner.IsComplete);
        Assert.Null(scanner.Error);
        Assert.Equal(body.Length, scanner.BytesScanned);
        Assert.Equal(0, scanner.Scan(data.AsSpan(n)));   // nothing more belongs to it
    }

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void Valid_ByteByByte_CompletesExactlyAtTheLastByte(string name, string body)
    {
        byte[] data = Bytes(body + Next);
        var scanner = new ChunkedBodyScanner();
        int total = 0;
        for (int i = 0; i < data.Length; i++)
        {
            Assert.False(scanner.IsComplete, $"{name}: complete early at {i}");
            int n = scanner.Scan(data.AsSpan(i, 1));
            Assert.True(n >= 0, $"{name}: error at {i}: {scanner.Error}");
            total += n;
            if (i < body.Length)
                Assert.Equal(1, n);
            else
                Assert.Equal(0, n);
            if (scanner.IsComplete) break;
        }
        Assert.True(scanner.IsComplete);
        Assert.Equal(body.Length, total);
    }

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void Valid_RandomSplits_GiveTheSameTotal(string name, string body)
    {
        byte[] data = Bytes(body + Next);
        var random = new Random(name.Length * 7919);
        for (int round = 0; round < 50; round++)
        {
            var scanner = new ChunkedBodyScanner();
            int total = 0, pos = 0;
            while (pos < data.Length && !scanner.IsComplete)
            {
                int size = Math.Min(random.Next(1, 20) * (random.Next(4) == 0 ? 1000 : 1), data.Length - pos);
                int n = scanner.Scan(data.AsSpan(pos, size));
                Assert.True(n >= 0, $"{name}: {scanner.Error}");
                Assert.True(n == size || scanner.IsComplete, $"{name}: partial count without completion");
                total += n;
                pos += size;
            }
            Assert.True(scanner.IsComplete, name);
            Assert.Equal(body.Length, total);
        }
    }

    [Fact]
    public void Empty_ReturnsZeroAndIsNotComplete()
    {
        var scanner = new ChunkedBodyScanner();
        Assert.Equal(0, scanner.Scan(default));
        Assert.False(scanner.IsComplete);
        Assert.Null(scanner.Error);
    }

    [Fact]
    public void HugeChunkSize_IsNotAnErrorButNeverCompletes()
    {
        var scanner = new ChunkedBodyScanner();
        byte[] data = Bytes("FFFFFFFFFFFFFFFF\r\n" + new string('x', 1000));
        Assert.Equal(data.Length, scanner.Scan(data));
        Assert.False(scanner.IsComplete);
        Assert.Null(scanner.Error);
    }

    [Fact]
    public void Reset_StartsANewBody()
    {
        var scanner = new ChunkedBodyScanner();
        Assert.Equal(-1, scanner.Scan(Bytes("x")));
        scanner.Reset();
        Assert.Null(scanner.Error);
        Assert.Equal(5, scanner.Scan(Bytes("0\r\n\r\n")));
        Assert.True(scanner.IsComplete);
    }

    public static TheoryData<string, string> InvalidBodies() => new()
    {
        { "bad hex", "g\r\nhello\r\n0\r\n\r\n" },
        { "hex then junk", "5g\r\nhello\r\n0\r\n\r\n" },
        { "empty size", "\r\nhello\r\n0\r\n\r\n" },
        { "negative", "-5\r\nhello\r\n0\r\n\r\n" },
        { "0x prefix", "0x5\r\nhello\r\n0\r\n\r\n" },
        { "17 hex digits", "00000000000000005\r\nhello\r\n0\r\n\r\n" },
        { "17 hex digits overflow", "10000000000000000\r\n" },
        { "space without extension", "5 \r\nhello\r\n0\r\n\r\n" },
        { "leading space", " 5\r\nhello\r\n0\r\n\r\n" },
        { "missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n" },
        { "junk instead of CR after data", "5\r\nhelloX\n0\r\n\r\n" },
        { "junk instead of LF after data", "5\r\nhello\rX0\r\n\r\n" },
        { "data too long", "3\r\nhello\r\n0\r\n\r\n" },
        { "bare LF after size", "5\nhello\r\n0\r\n\r\n" },
        { "bare LF after data", "5\r\nhello\n0\r\n\r\n" },
        { "bare LF in extension", "5;a\nhello\r\n0\r\n\r\n" },
        { "bare LF after last chunk", "5\r\nhello\r\n0\n\r\n" },
        { "bare LF final", "0\r\n\n" },
        { "bare LF in trailer", "0\r\nX: a\n\r\n" },
        { "CR without LF", "5\rhello\r\n0\r\n\r\n" },
        { "CR without LF at the end", "0\r\n\rX" },
        { "NUL in extension", "5;a\0\r\nhello\r\n0\r\n\r\n" },
        { "trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n" },
        { "trailer without colon", "0\r\nX-Sum\r\n\r\n" },
        { "trailer space before colon", "0\r\nX-Sum : 1\r\n\r\n" },
        { "trailer NUL", "0\r\nX-Sum: \0\r\n\r\n" },
        { "oversize chunk line", "5;" + new string('e', ChunkedBodyScanner.MaxChunkLineBytes) + "\r\nhello\r\n0\r\n\r\n" },
        { "oversize trailers", "0\r\n" + string.Concat(Enumerable.Repeat("X-Pad: " + new string('p', 1000) + "\r\n", 17)) + "\r\n" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public void Invalid_Whole_ReturnsMinusOne(string name, string body)
    {
        var scanner = new ChunkedBodyScanner();
        Assert.True(scanner.Scan(Bytes(body)) == -1, name);
        Assert.False(string.IsNullOrEmpty(scanner.Error));
        Assert.False(scanner.IsComplete);
        Assert.Equal(-1, scanner.Scan(Bytes("0\r\n\r\n")));   // the error is sticky
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public void Invalid_ByteByByte_ReturnsMinusOne(string name, string body)
    {
        byte[] data = Bytes(body);
        var scanner = new ChunkedBodyScanner();
        int result = 0;
        for (int i = 0; i < data.Length && result >= 0; i++)
            result = scanner.Scan(data.AsSpan(i, 1));
        Assert.True(result == -1, name);
        Assert.NotNull(scanner.Error);
    }

    [Fact]
    public void Limits_AreInclusive()
    {
        // A size line of exactly 4 KiB including CRLF, and a trailer section of exactly 16 KiB including the final CRLF.
        string line = "5;" + new string('e', ChunkedBodyScanner.MaxChunkLineBytes - 4) + "\r\n";
        Assert.Equal(ChunkedBodyScanner.MaxChunkLineBytes, line.Length);
        string trailer = "X: " + new string('t', ChunkedBodyScanner.MaxTrailerBytes - 7) + "\r\n\r\n";
        Assert.Equal(ChunkedBodyScanner.MaxTrailerBytes, trailer.Length);
        string body = line + "hello\r\n0\r\n" + trailer;

        var scanner = new ChunkedBodyScanner();
        Assert.Equal(body.Length, scanner.Scan(Bytes(body)));
        Assert.True(scanner.IsComplete);

        scanner = new ChunkedBodyScanner();
        Assert.Equal(-1, scanner.Scan(Bytes(body.Replace("X: ", "X:  "))));
        Assert.Equal("trailer section exceeds 16 KiB", scanner.Error);
    }

    // ---- Fuzz and allocation ----------------------------------------------------------------

    [Fact]
    public void Fuzz_RandomAndMutated_SplitsAgreeWithWhole()
    {
        var random = new Random(7101);
        byte[][] seeds = [.. ValidBodies().Select(row => Bytes((string)row[1] + Next)).Where(b => b.Length < 1000)];
        int completes = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data;
            if (i % 5 == 0)
            {
                data = new byte[random.Next(0, 200)];
                random.NextBytes(data);
            }
            else
            {
                data = Mutate(seeds[random.Next(seeds.Length)], random);
            }

            var whole = new ChunkedBodyScanner();
            int wholeCount = whole.Scan(data);
            Assert.InRange(wholeCount, -1, data.Length);
            Assert.Equal(wholeCount == -1, whole.Error is not null);
            if (whole.IsComplete) completes++;
            else if (wholeCount >= 0) Assert.Equal(data.Length, wholeCount);

            var split = new ChunkedBodyScanner();
            int total = 0, pos = 0, n = 0;
            while (pos < data.Length && n >= 0 && !split.IsComplete)
            {
                int size = Math.Min(random.Next(1, 8), data.Length - pos);
                n = split.Scan(data.AsSpan(pos, size));
                Assert.InRange(n, -1, size);
                if (n > 0) total += n;
                pos += size;
            }
            if (wholeCount == -1)
            {
                Assert.Equal(-1, n);
            }
            else
            {
                Assert.True(n >= 0);
                Assert.Equal(wholeCount, total);
                Assert.Equal(whole.IsComplete, split.IsComplete);
            }
        }
        Assert.True(completes > 1000, $"only {completes} inputs completed");
    }

    [Fact]
    public void Scan_AfterWarmUp_AllocatesNothing()
    {
        byte[] body = Bytes("5;ext=1\r\nhello\r\n" + BigChunk() + "0\r\nX-Sum: 1\r\n\r\n" + Next);
        long sink = 0;

        void Run()
        {
            var scanner = new ChunkedBodyScanner();
            sink += scanner.Scan(body);
            scanner = new ChunkedBodyScanner();
            for (int i = 0; i < 40; i++) sink += scanner.Scan(body.AsSpan(i, 1));
        }

        for (int i = 0; i < 100; i++) Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sink > 0);
    }
}

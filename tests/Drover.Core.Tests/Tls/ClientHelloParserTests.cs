using System.Buffers.Binary;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Drover.Core.Tls;
using Xunit;

namespace Drover.Core.Tests.Tls;

public class ClientHelloParserTests
{
    // One real hello shared by the heavier tests; capturing it costs a few milliseconds.
    private static readonly Lazy<Task<byte[]>> s_exampleHello = new(() => CaptureClientHelloAsync("a.example.test"));

    // ---- Real ClientHellos from SslStream -------------------------------------------------

    [Theory]
    [InlineData("a.example.test", "a.example.test")]
    [InlineData("Mixed.Example.ORG", "mixed.example.org")]
    public async Task RealHello_DefaultProtocols_IsCompleteWithLowerCaseName(string targetHost, string expected)
    {
        byte[] hello = await CaptureClientHelloAsync(targetHost);

        var result = ClientHelloParser.Parse(hello);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal(expected, result.ServerName);
        Assert.Null(result.Error);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task RealHello_SingleProtocol_IsComplete(SslProtocols protocols)
    {
        byte[] hello = await CaptureClientHelloAsync("Tls.Example.Test", protocols);

        var result = ClientHelloParser.Parse(hello);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal("tls.example.test", result.ServerName);
        // Sanity check that the protocol restriction really changed what was sent.
        Assert.Equal(protocols == SslProtocols.Tls13, HasExtension(hello, 43 /* supported_versions */) && !OffersTls12(hello));
    }

    [Fact]
    public async Task RealHello_IpAddressTarget_HasNoServerName()
    {
        byte[] hello = await CaptureClientHelloAsync("127.0.0.1");

        var result = ClientHelloParser.Parse(hello);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Null(result.ServerName);
        Assert.False(HasExtension(hello, 0), "SslStream unexpectedly sent SNI for an IP address");
    }

    [Fact]
    public async Task RealHello_EveryStrictPrefix_NeedsMoreData()
    {
        byte[] hello = await s_exampleHello.Value;
        AssertAllStrictPrefixesNeedMore(hello);
    }

    [Fact]
    public async Task RealHello_TrailingBytesAfterHello_AreIgnored()
    {
        byte[] hello = await s_exampleHello.Value;
        // e.g. the TLS 1.3 middlebox-compat ChangeCipherSpec record a client may send next
        byte[] withCcs = [.. hello, 20, 3, 3, 0, 1, 1];

        var result = ClientHelloParser.Parse(withCcs);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal("a.example.test", result.ServerName);
    }

    // ---- Handshake fragmented over several records ----------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(16384)]
    public async Task RealHello_ReframedIntoSeveralRecords_IsCompleteAndPrefixesNeedMore(int chunk)
    {
        byte[] hello = await s_exampleHello.Value;
        byte[] reframed = Reframe(hello, _ => chunk);
        if (chunk < hello.Length - 5)
            Assert.True(reframed.Length > hello.Length);

        var result = ClientHelloParser.Parse(reframed);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal("a.example.test", result.ServerName);
        AssertAllStrictPrefixesNeedMore(reframed);
    }

    [Fact]
    public async Task RealHello_ReframedWithRandomChunkSizes_IsComplete()
    {
        byte[] hello = await s_exampleHello.Value;
        var random = new Random(1234);
        for (int i = 0; i < 50; i++)
        {
            byte[] reframed = Reframe(hello, _ => random.Next(1, 64));
            var result = ClientHelloParser.Parse(reframed);
            Assert.Equal(ClientHelloStatus.Complete, result.Status);
            Assert.Equal("a.example.test", result.ServerName);
        }
    }

    [Fact]
    public void LargeHello_SpanningRecords_UsesPooledBufferAndParses()
    {
        // 20 KB of padding forces two max-size records and a reassembly buffer above the stack size.
        byte[] handshake = BuildHandshake(SniExtension("big.example.test"), Extension(21, new byte[20_000]));
        byte[] records = WrapRecords(handshake, 16384);

        var result = ClientHelloParser.Parse(records);
        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal("big.example.test", result.ServerName);

        for (int length = 0; length < records.Length; length += 13)
            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloParser.Parse(records.AsSpan(0, length)).Status);
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloParser.Parse(WrapRecords(handshake, 1000)).Status);
    }

    // ---- Incremental feeding like the proxy does -------------------------------------------

    [Fact]
    public async Task IncrementalFeeding_RandomReadSizes_NeedMoreUntilLastPiece()
    {
        byte[] hello = await s_exampleHello.Value;
        var random = new Random(42);
        byte[][] inputs = [hello, Reframe(hello, _ => 7), Reframe(hello, _ => random.Next(1, 200))];

        foreach (byte[] input in inputs)
        {
            for (int round = 0; round < 20; round++)
            {
                byte[] buffer = new byte[input.Length];
                int filled = 0;
                while (filled < input.Length)
                {
                    int piece = Math.Min(random.Next(1, 51), input.Length - filled);
                    input.AsSpan(filled, piece).CopyTo(buffer.AsSpan(filled));
                    filled += piece;

                    var result = ClientHelloParser.Parse(buffer.AsSpan(0, filled));
                    if (filled < input.Length)
                    {
                        Assert.Equal(ClientHelloStatus.NeedMoreData, result.Status);
                    }
                    else
                    {
                        Assert.Equal(ClientHelloStatus.Complete, result.Status);
                        Assert.Equal("a.example.test", result.ServerName);
                    }
                }
            }
        }
    }

    // ---- Hand-built valid cases -------------------------------------------------------------

    [Fact]
    public void Empty_NeedsMoreData() =>
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloParser.Parse(ReadOnlySpan<byte>.Empty).Status);

    [Fact]
    public void HelloWithoutExtensions_IsCompleteWithoutName()
    {
        byte[] body = BuildBody(extensions: null);
        var result = ClientHelloParser.Parse(WrapRecords(WrapHandshake(body), 16384));
        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Null(result.ServerName);
    }

    [Theory]
    [InlineData("example.com.", "example.com")]
    [InlineData("Under_Score-1.Example", "under_score-1.example")]
    [InlineData("x", "x")]
    public void HostName_IsNormalized(string sent, string expected)
    {
        var result = ClientHelloParser.Parse(BuildRecord(SniExtension(sent)));
        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal(expected, result.ServerName);
    }

    [Fact]
    public void HostName_Of255Bytes_IsAccepted()
    {
        string label = new('a', 63);
        string name = $"{label}.{label}.{label}.{label}"; // 4*63 + 3 = 255
        var result = ClientHelloParser.Parse(BuildRecord(SniExtension(name)));
        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal(name, result.ServerName);
    }

    [Fact]
    public void ServerNameList_SkipsOtherNameTypes()
    {
        byte[] list = [.. NameEntry(7, "ignored"), .. NameEntry(0, "Real.Example"), .. NameEntry(0, "second.example")];
        var result = ClientHelloParser.Parse(BuildRecord(Extension(0, [.. U16(list.Length), .. list])));
        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal("real.example", result.ServerName);
    }

    [Fact]
    public void ServerNameList_WithOnlyUnknownTypes_HasNoName()
    {
        byte[] list = NameEntry(9, "whatever");
        var result = ClientHelloParser.Parse(BuildRecord(Extension(0, [.. U16(list.Length), .. list])));
        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Null(result.ServerName);
    }

    // ---- Hand-built invalid cases -----------------------------------------------------------

    [Fact]
    public void HttpRequest_IsInvalidFromFirstByte()
    {
        byte[] http = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n");
        for (int length = 1; length <= http.Length; length++)
        {
            var result = ClientHelloParser.Parse(http.AsSpan(0, length));
            Assert.Equal(ClientHelloStatus.Invalid, result.Status);
            Assert.Equal("not a TLS handshake record (first byte 0x47)", result.Error);
        }
    }

    [Fact]
    public void SslV2Hello_IsInvalidWithClearReason()
    {
        var result = ClientHelloParser.Parse(new byte[] { 0x80, 0x2e, 0x01, 0x03, 0x01 });
        Assert.Equal(ClientHelloStatus.Invalid, result.Status);
        Assert.Contains("SSLv2", result.Error);
    }

    [Fact]
    public void ApplicationDataRecord_IsInvalid()
    {
        var result = ClientHelloParser.Parse(new byte[] { 23, 3, 3, 0, 10 });
        Assert.Equal(ClientHelloStatus.Invalid, result.Status);
        Assert.Equal("not a TLS handshake record (first byte 0x17)", result.Error);
    }

    [Fact]
    public void NonHandshakeRecordBetweenFragments_IsInvalid()
    {
        byte[] records = WrapRecords(BuildHandshake(SniExtension("a.test")), 10);
        records[15] = 21; // second record becomes an alert
        AssertInvalid(records, "non-handshake record");
    }

    [Theory]
    [InlineData(new byte[] { 22, 2 }, "major")]
    [InlineData(new byte[] { 22, 3, 5 }, "minor")]
    [InlineData(new byte[] { 22, 3, 1, 0, 0 }, "empty handshake record")]
    [InlineData(new byte[] { 22, 3, 1, 0x40, 0x01 }, "record length exceeds 16384")]
    [InlineData(new byte[] { 22, 3, 1, 0, 4, 2 }, "handshake type 2")]
    [InlineData(new byte[] { 22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff }, "64 KiB")]
    [InlineData(new byte[] { 22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x00 }, "64 KiB")]
    public void BadHeaders_AreInvalidAsSoonAsSeen(byte[] data, string expectedError) =>
        AssertInvalid(data, expectedError);

    [Fact]
    public void HandshakeTypeServerHello_IsInvalid()
    {
        byte[] record = BuildRecord(SniExtension("a.test"));
        record[5] = 2;
        AssertInvalid(record, "not a ClientHello (handshake type 2)");
    }

    [Fact]
    public void ServerNameLengthOverrunningExtension_IsInvalid()
    {
        byte[] list = NameEntry(0, "a.test");
        list[2] += 5; // entry length now points past the list
        AssertInvalid(BuildRecord(Extension(0, [.. U16(list.Length), .. list])), "server_name entry overruns its list");

        byte[] tooLongList = [.. U16(list.Length + 3), .. NameEntry(0, "a.test")];
        AssertInvalid(BuildRecord(Extension(0, tooLongList)), "server_name list overruns its extension");
    }

    [Fact]
    public void ExtensionOverrunningExtensionsBlock_IsInvalid()
    {
        byte[] ext = SniExtension("a.test");
        ext[3] += 1; // extension data length one byte too long
        AssertInvalid(BuildRecord(ext), "extension overruns extensions");
    }

    [Theory]
    [InlineData("a b", "invalid character")]
    [InlineData("a..b", "empty label")]
    [InlineData(".a", "empty label")]
    [InlineData(".", "empty label")]
    [InlineData("a.b..", "empty label")]
    [InlineData("caf\u00e9.test", "invalid character")]
    [InlineData("a/b", "invalid character")]
    [InlineData("", "empty host name")]
    public void BadHostNames_AreInvalid(string name, string expectedError) =>
        AssertInvalid(BuildRecord(SniExtension(name)), expectedError);

    [Fact]
    public void OverlongHostNameAndLabel_AreInvalid()
    {
        string label = new('a', 63);
        AssertInvalid(BuildRecord(SniExtension($"{label}.{label}.{label}.{label}b")), "longer than 255");
        AssertInvalid(BuildRecord(SniExtension(new string('a', 64) + ".test")), "label longer than 63");
    }

    [Fact]
    public void DuplicateServerNameExtension_IsInvalid() =>
        AssertInvalid(BuildRecord(SniExtension("a.test"), SniExtension("b.test")), "duplicate server_name extension");

    [Fact]
    public void DataAfterHelloInSameRecord_IsInvalid()
    {
        byte[] handshake = BuildHandshake(SniExtension("a.test"));
        AssertInvalid(WrapRecords([.. handshake, 0], 16384), "unexpected data after ClientHello");
    }

    [Fact]
    public void BadBodyFields_AreInvalid()
    {
        byte[] body = BuildBody(SniExtension("a.test"));
        byte[] Mutated(int index, byte value) { byte[] copy = (byte[])body.Clone(); copy[index] = value; return WrapRecords(WrapHandshake(copy), 16384); }

        AssertInvalid(Mutated(34, 33), "session_id longer than 32");
        AssertInvalid(Mutated(36, 3), "bad cipher_suites length");            // odd length
        AssertInvalid(Mutated(0, 2), "unsupported ClientHello version");
        AssertInvalid(WrapRecords(WrapHandshake([.. body, 0]), 16384), "unexpected data after extensions");
        AssertInvalid(WrapRecords(WrapHandshake(body[..^1]), 16384), "extensions overrun ClientHello");
    }

    [Fact]
    public void TooManyTinyRecords_HitTheBufferLimitInsteadOfWaitingForever()
    {
        // 20 KB hello in 1-byte records needs ~120 KB of record bytes: more than the limit.
        byte[] records = WrapRecords(BuildHandshake(SniExtension("a.test"), Extension(21, new byte[20_000])), 1);

        // Invalid as soon as the next record could no longer end within the limit, before the caller buffers 64 KiB.
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloParser.Parse(records.AsSpan(0, 60_000)).Status);
        AssertInvalid(records.AsSpan(0, ClientHelloParser.MaxClientHelloBytes - 4).ToArray(), "64 KiB");
        AssertInvalid(records.AsSpan(0, ClientHelloParser.MaxClientHelloBytes).ToArray(), "64 KiB");
        AssertInvalid(records, "64 KiB");
    }

    // ---- Allocation -------------------------------------------------------------------------

    [Fact]
    public async Task Parse_AllocatesOnlyTheServerName()
    {
        byte[] named = await s_exampleHello.Value;
        byte[] unnamed = await CaptureClientHelloAsync("127.0.0.1");
        byte[] fragmented = Reframe(named, _ => 5);
        byte[] big = WrapRecords(BuildHandshake(Extension(21, new byte[20_000])), 16384);
        byte[] http = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n");
        byte[] badName = BuildRecord(SniExtension("a..b"));

        void RunNonAllocating()
        {
            ClientHelloParser.Parse(unnamed);
            ClientHelloParser.Parse(named.AsSpan(0, named.Length - 1));
            ClientHelloParser.Parse(fragmented.AsSpan(0, fragmented.Length / 2));
            ClientHelloParser.Parse(big);
            ClientHelloParser.Parse(http);
            ClientHelloParser.Parse(badName);
        }

        for (int i = 0; i < 200; i++) { RunNonAllocating(); ClientHelloParser.Parse(named); }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) RunNonAllocating();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // A named result costs exactly one string of 14 chars (< 64 bytes on 64-bit).
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) ClientHelloParser.Parse(fragmented);
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
        Assert.InRange(perCall, 1, 64);
    }

    // ---- Fuzz -------------------------------------------------------------------------------

    [Fact]
    public void Fuzz_RandomBytes_NeverThrow()
    {
        var random = new Random(20240601);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = new byte[random.Next(0, 601)];
            random.NextBytes(data);
            // Make most inputs get past the first checks so deeper code is exercised.
            if (data.Length >= 6 && i % 4 != 0)
            {
                data[0] = 22; data[1] = 3; data[2] = (byte)random.Next(0, 5); data[5] = 1;
                if (i % 2 == 0) BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(3), (ushort)(data.Length - 5));
            }
            AssertWellFormedResult(data);
        }
    }

    [Fact]
    public async Task Fuzz_MutatedRealHello_NeverThrow()
    {
        byte[] hello = await s_exampleHello.Value;
        byte[] fragmented = Reframe(hello, _ => 50);
        var random = new Random(77);
        for (int i = 0; i < 20_000; i++)
        {
            var data = new List<byte>(i % 2 == 0 ? hello : fragmented);
            int mutations = random.Next(1, 5);
            for (int m = 0; m < mutations && data.Count > 0; m++)
            {
                switch (random.Next(4))
                {
                    case 0: data[random.Next(data.Count)] = (byte)random.Next(256); break;
                    case 1: data[random.Next(data.Count)] ^= (byte)(1 << random.Next(8)); break;
                    case 2:
                        int from = random.Next(data.Count);
                        data.RemoveRange(from, Math.Min(random.Next(1, 8), data.Count - from));
                        break;
                    default:
                        int at = random.Next(data.Count + 1);
                        for (int k = random.Next(1, 8); k > 0; k--) data.Insert(at, (byte)random.Next(256));
                        break;
                }
            }
            if (random.Next(4) == 0 && data.Count > 0)
            {
                int keep = random.Next(data.Count); // truncate
                data.RemoveRange(keep, data.Count - keep);
            }
            AssertWellFormedResult(data.ToArray());
        }
    }

    // ---- Helpers ----------------------------------------------------------------------------

    private static void AssertWellFormedResult(byte[] data)
    {
        ClientHelloResult result = default;
        var ex = Record.Exception(() => result = ClientHelloParser.Parse(data));
        Assert.Null(ex);
        switch (result.Status)
        {
            case ClientHelloStatus.Complete:
                Assert.Null(result.Error);
                if (result.ServerName is not null)
                    Assert.True(IsValidNormalizedHostName(result.ServerName), $"bad name '{result.ServerName}'");
                break;
            case ClientHelloStatus.NeedMoreData:
                Assert.Null(result.Error);
                Assert.Null(result.ServerName);
                Assert.True(data.Length < ClientHelloParser.MaxClientHelloBytes);
                break;
            case ClientHelloStatus.Invalid:
                Assert.False(string.IsNullOrEmpty(result.Error));
                Assert.Null(result.ServerName);
                break;
            default:
                Assert.Fail($"unexpected status {result.Status}");
                break;
        }
    }

    private static bool IsValidNormalizedHostName(string name)
    {
        if (name.Length is 0 or > 254 || name.EndsWith('.'))
            return false;
        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
                return false;
            foreach (char c in label)
                if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_'))
                    return false;
        }
        return true;
    }

    private static void AssertAllStrictPrefixesNeedMore(byte[] data)
    {
        for (int length = 0; length < data.Length; length++)
        {
            var result = ClientHelloParser.Parse(data.AsSpan(0, length));
            Assert.True(result.Status == ClientHelloStatus.NeedMoreData,
                $"prefix of {length}/{data.Length} bytes gave {result.Status}: {result.Error}");
        }
    }

    private static void AssertInvalid(byte[] data, string expectedErrorPart)
    {
        var result = ClientHelloParser.Parse(data);
        Assert.Equal(ClientHelloStatus.Invalid, result.Status);
        Assert.Null(result.ServerName);
        Assert.Contains(expectedErrorPart, result.Error);
    }

    /// <summary>Runs a real SslStream client handshake against a stream that records writes and fails reads.</summary>
    private static async Task<byte[]> CaptureClientHelloAsync(string targetHost, SslProtocols protocols = SslProtocols.None)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        };
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(options));

        byte[] hello = capture.Written;
        Assert.True(hello.Length > 5, "SslStream wrote no ClientHello");
        Assert.Equal(22, hello[0]);
        // The tests below rely on the capture being exactly one record.
        Assert.Equal(hello.Length, 5 + BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(3)));
        return hello;
    }

    private sealed class CaptureStream : Stream
    {
        private readonly MemoryStream _written = new();

        public byte[] Written => _written.ToArray();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _written.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _written.Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        // Stops the handshake right after the ClientHello has been written.
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("capture only");
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("capture only"));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromException<int>(new IOException("capture only"));

        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Splits the single record's handshake payload into records of the given sizes.</summary>
    private static byte[] Reframe(byte[] singleRecord, Func<int, int> chunkSize)
    {
        int length = BinaryPrimitives.ReadUInt16BigEndian(singleRecord.AsSpan(3));
        var payload = singleRecord.AsSpan(5, length);
        var output = new List<byte>();
        for (int offset = 0, index = 0; offset < payload.Length; index++)
        {
            int size = Math.Min(chunkSize(index), payload.Length - offset);
            output.AddRange([22, singleRecord[1], singleRecord[2], .. U16(size)]);
            output.AddRange(payload.Slice(offset, size).ToArray());
            offset += size;
        }
        return output.ToArray();
    }

    private static byte[] WrapRecords(byte[] handshake, int chunk)
    {
        var output = new List<byte>();
        for (int offset = 0; offset < handshake.Length; offset += chunk)
        {
            int size = Math.Min(chunk, handshake.Length - offset);
            output.AddRange([22, 3, 1, .. U16(size)]);
            output.AddRange(handshake.AsSpan(offset, size).ToArray());
        }
        return output.ToArray();
    }

    private static byte[] BuildRecord(params byte[][] extensions) => WrapRecords(BuildHandshake(extensions), 16384);

    private static byte[] BuildHandshake(params byte[][] extensions) => WrapHandshake(BuildBody(extensions.SelectMany(e => e).ToArray()));

    private static byte[] WrapHandshake(byte[] body) =>
        [1, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] BuildBody(byte[]? extensions)
    {
        var body = new List<byte> { 3, 3 };
        body.AddRange(new byte[32]);                 // random
        body.Add(0);                                 // session_id
        body.AddRange([0, 2, 0x13, 0x01]);           // cipher_suites: TLS_AES_128_GCM_SHA256
        body.AddRange([1, 0]);                       // compression_methods: null
        if (extensions is not null)
        {
            body.AddRange(U16(extensions.Length));
            body.AddRange(extensions);
        }
        return body.ToArray();
    }

    private static byte[] Extension(int type, byte[] data) => [.. U16(type), .. U16(data.Length), .. data];

    private static byte[] SniExtension(string name)
    {
        byte[] entry = NameEntry(0, name);
        return Extension(0, [.. U16(entry.Length), .. entry]);
    }

    private static byte[] NameEntry(byte type, string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        return [type, .. U16(bytes.Length), .. bytes];
    }

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    /// <summary>Minimal independent extension walk over a single-record hello (test oracle only).</summary>
    private static List<(int Type, byte[] Data)> Extensions(byte[] hello)
    {
        var list = new List<(int, byte[])>();
        int p = 5 + 4 + 34;
        p += 1 + hello[p];
        p += 2 + BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(p));
        p += 1 + hello[p];
        if (p >= hello.Length)
            return list;
        int end = p + 2 + BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(p));
        for (p += 2; p < end;)
        {
            int type = BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(p));
            int length = BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(p + 2));
            list.Add((type, hello.AsSpan(p + 4, length).ToArray()));
            p += 4 + length;
        }
        return list;
    }

    private static bool HasExtension(byte[] hello, int type) => Extensions(hello).Exists(e => e.Type == type);

    private static bool OffersTls12(byte[] hello)
    {
        var versions = Extensions(hello).Find(e => e.Type == 43).Data;
        if (versions is null)
            return true; // no supported_versions => TLS 1.2 or lower
        for (int i = 1; i + 1 < versions.Length; i += 2)
            if (versions[i] == 3 && versions[i + 1] == 3)
                return true;
        return false;
    }
}

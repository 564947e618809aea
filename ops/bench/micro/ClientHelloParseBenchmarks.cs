using System.Buffers.Binary;
using System.Net.Security;
using BenchmarkDotNet.Attributes;
using Drover.Core.Tls;

namespace Drover.Bench.Micro;

/// <summary>
/// <see cref="ClientHelloParser.Parse"/> on a real ClientHello, captured once from an SslStream
/// client handshake (TargetHost "a.example.test"): whole, in one record, and the same hello split
/// over 3 records (reassembled on the stack). Expected allocation: the server-name string only
/// ("a.example.test", 56 B on 64-bit), which the parser documents as its one allocation.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class ClientHelloParseBenchmarks
{
    public const string ServerName = "a.example.test";

    private byte[] _single = null!;
    private byte[] _threeRecords = null!;

    [GlobalSetup]
    public void Setup()
    {
        _single = CaptureClientHello(ServerName);
        _threeRecords = SplitIntoRecords(_single, 3);

        foreach (var hello in new[] { _single, _threeRecords })
        {
            var result = ClientHelloParser.Parse(hello);
            if (result.Status != ClientHelloStatus.Complete || result.ServerName != ServerName)
                throw new InvalidOperationException($"captured hello parsed as {result}");
        }
    }

    [Benchmark(Baseline = true)]
    public ClientHelloResult OneRecord() => ClientHelloParser.Parse(_single);

    [Benchmark]
    public ClientHelloResult ThreeRecords() => ClientHelloParser.Parse(_threeRecords);

    /// <summary>Runs a real client handshake against a stream that records writes and fails reads.</summary>
    private static byte[] CaptureClientHello(string targetHost)
    {
        var capture = new CaptureStream();
        using (var ssl = new SslStream(capture, leaveInnerStreamOpen: true))
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = targetHost,
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            };
            try
            {
                ssl.AuthenticateAsClient(options);
            }
            catch (Exception)
            {
                // Expected: the capture stream refuses to read the ServerHello.
            }
        }

        var hello = capture.Written;
        if (hello.Length <= 5 || hello[0] != 22 || hello.Length != 5 + BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(3)))
            throw new InvalidOperationException($"SslStream did not write one handshake record ({hello.Length} bytes)");
        return hello;
    }

    /// <summary>Re-frames a single record's handshake payload as <paramref name="count"/> records of near-equal size.</summary>
    private static byte[] SplitIntoRecords(byte[] singleRecord, int count)
    {
        var payload = singleRecord.AsSpan(5, BinaryPrimitives.ReadUInt16BigEndian(singleRecord.AsSpan(3)));
        var output = new List<byte>(payload.Length + 5 * count);
        for (int index = 0, offset = 0; index < count; index++)
        {
            var size = (payload.Length - offset) / (count - index);
            output.AddRange([22, singleRecord[1], singleRecord[2], (byte)(size >> 8), (byte)size]);
            output.AddRange(payload.Slice(offset, size));
            offset += size;
        }
        return output.ToArray();
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
}

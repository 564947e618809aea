using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// HTTP/1.1 and h2c (HTTP/2 with prior knowledge, RFC 9113 3.3) on one cleartext port. Kestrel 10
/// serves only HTTP/1.1 on a cleartext Http1AndHttp2 endpoint, because without ALPN it cannot tell
/// which one the client speaks. This connection middleware peeks the first bytes without consuming
/// them: the HTTP/2 preface marks the connection as having negotiated "h2" (the feature Kestrel
/// checks), anything else goes on as HTTP/1.1. It decides at the first byte that differs from the
/// preface, so an HTTP/1.1 client never waits.
/// </summary>
internal static class H2cPriorKnowledge
{
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>A client that connects but sends no full first line within this time is dropped.</summary>
    private static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    public static IConnectionBuilder UseH2cPriorKnowledge(this ListenOptions listen) => listen.Use(next => async connection =>
    {
        var input = connection.Transport.Input;
        using var deadline = new CancellationTokenSource(FirstBytesTimeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(deadline.Token);
                var buffer = result.Buffer;
                var match = Match(buffer);
                if (match == PrefaceMatch.Partial && !result.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start, buffer.End); // wait for more bytes
                    continue;
                }
                input.AdvanceTo(buffer.Start); // consume nothing: Kestrel reads the same bytes
                if (match == PrefaceMatch.Full) connection.Features.Set<ITlsConnectionFeature>(H2cMarker.Instance);
                if (match == PrefaceMatch.Full) connection.Features.Set<ITlsApplicationProtocolFeature>(H2cMarker.Instance);
                break;
            }
        }
        catch (OperationCanceledException)
        {
            connection.Abort(new ConnectionAbortedException("no request within the first-bytes timeout"));
            return;
        }
        await next(connection);
    });

    /// <summary>True when the request came over a connection this middleware marked as h2c (so it is not TLS).</summary>
    public static bool IsH2c(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Features.Get<ITlsConnectionFeature>() is H2cMarker;

    private static PrefaceMatch Match(ReadOnlySequence<byte> buffer)
    {
        var preface = Preface;
        var length = (int)Math.Min(buffer.Length, preface.Length);
        Span<byte> head = stackalloc byte[preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(preface[..length])) return PrefaceMatch.No;
        return length == preface.Length ? PrefaceMatch.Full : PrefaceMatch.Partial;
    }

    private enum PrefaceMatch
    {
        No,
        Partial,
        Full,
    }

    /// <summary>Tells Kestrel "ALPN chose h2" for a cleartext connection; carries no certificate.</summary>
    private sealed class H2cMarker : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly H2cMarker Instance = new();
        private static readonly ReadOnlyMemory<byte> H2 = "h2"u8.ToArray();

        public ReadOnlyMemory<byte> ApplicationProtocol => H2;

        public X509Certificate2? ClientCertificate
        {
            get => null;
            set { }
        }

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}

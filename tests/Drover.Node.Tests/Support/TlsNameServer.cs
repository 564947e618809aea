using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Drover.Node.Tests.Support;

/// <summary>
/// A TLS backend for pass-through tests: terminates TLS with a self-signed certificate and answers
/// every line with "NAME: line", so a client can tell which backend it reached through the proxy.
/// </summary>
public sealed class TlsNameServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TlsNameServer(string name, string subject)
    {
        Name = name;
        _certificate = SelfSigned(subject);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public string Name { get; }
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch { return; }
            _ = Task.Run(async () =>
            {
                using var c = client;
                try
                {
                    await using var tls = new SslStream(c.GetStream());
                    await tls.AuthenticateAsServerAsync(_certificate);
                    using var reader = new StreamReader(tls, Encoding.ASCII, leaveOpen: true);
                    string? line;
                    while ((line = await reader.ReadLineAsync()) is not null)
                    {
                        await tls.WriteAsync(Encoding.ASCII.GetBytes($"{Name}: {line}\n"));
                        await tls.FlushAsync();
                    }
                }
                catch (Exception) { }
            });
        }
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(subject);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Connects through <paramref name="proxy"/> with SNI <paramref name="serverName"/>; returns the answer to "hello".</summary>
    public static async Task<string> AskAsync(IPEndPoint proxy, string serverName)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(proxy);
        await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(serverName).WaitAsync(TimeSpan.FromSeconds(10));
        await tls.WriteAsync("hello\n"u8.ToArray());
        using var reader = new StreamReader(tls, Encoding.ASCII);
        return (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
        _certificate.Dispose();
    }
}

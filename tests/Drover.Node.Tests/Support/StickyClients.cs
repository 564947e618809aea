using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.Node.Tests.Support;

/// <summary>Clients for sticky-session tests: HTTP from a chosen loopback source address, and one-shot HTTP over raw TCP.</summary>
public static class StickyClients
{
    /// <summary>An <see cref="HttpClient"/> whose connections come from <paramref name="local"/> (any 127.x.y.z works on Linux), cookies handled by the test.</summary>
    public static HttpClient From(IPAddress local, EndPoint target)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"http://{target}") };
    }

    /// <summary>A plain client without a cookie container, so each test decides which cookies it sends.</summary>
    public static HttpClient Plain(EndPoint target) =>
        new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri($"http://{target}") };

    /// <summary>GET <paramref name="path"/> with the given headers; the backend that answered (X-Backend-Id) and the response.</summary>
    public static async Task<(string Backend, HttpResponseMessage Response)> GetAsync(HttpClient client, string path = "/", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await client.SendAsync(request);
        var backend = response.Headers.TryGetValues("X-Backend-Id", out var ids) ? ids.Single() : $"(none: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()})";
        return (backend, response);
    }

    public static async Task<string> BackendOfAsync(HttpClient client, string path = "/", params (string Name, string Value)[] headers)
    {
        var (backend, response) = await GetAsync(client, path, headers);
        response.Dispose();
        return backend;
    }

    /// <summary>One HTTP/1.1 request over a new TCP connection from <paramref name="local"/>: the backend that answered (X-Backend-Id), or the status line when there is none.</summary>
    public static async Task<string> TcpBackendOfAsync(IPEndPoint target, IPAddress? local = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (local is not null) socket.Bind(new IPEndPoint(local, 0));
        await socket.ConnectAsync(target);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"u8.ToArray());
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0) received.Write(buffer, 0, read);
        var text = Encoding.ASCII.GetString(received.ToArray());
        foreach (var line in text.Split("\r\n"))
            if (line.StartsWith("X-Backend-Id:", StringComparison.OrdinalIgnoreCase)) return line[13..].Trim();
        return $"(none: {text.Split("\r\n")[0]})";
    }
}

using System.Net;
using System.Net.Sockets;

namespace Drover.Node.Tests.Support;

/// <summary>
/// A raw TCP backend: optionally greets with a line naming itself, echoes every byte it receives,
/// and after the client's half-close (EOF) sends a trailer line and closes its side.
/// </summary>
public sealed class TcpEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string? _trailer;

    public TcpEchoServer(string? trailer = null)
    {
        _trailer = trailer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;
    public int Accepted;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch { return; }
            Interlocked.Increment(ref Accepted);
            _ = Task.Run(async () =>
            {
                using var s = socket;
                var buffer = new byte[32 * 1024];
                try
                {
                    int read;
                    while ((read = await s.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                    {
                        var sent = 0;
                        while (sent < read) sent += await s.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                    }
                    if (_trailer is not null) await s.SendAsync(System.Text.Encoding.ASCII.GetBytes(_trailer), SocketFlags.None);
                    s.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException) { }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
    }
}

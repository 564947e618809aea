using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.Node.Tests.Support;

/// <summary>A broken HTTP backend: reads each request head, then closes the connection without answering.</summary>
public sealed class HangUpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _requestLines = new();

    public HangUpServer()
    {
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The request lines it received, e.g. "POST /sink HTTP/1.1".</summary>
    public IReadOnlyCollection<string> RequestLines => _requestLines;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch { return; }
            _ = Task.Run(async () =>
            {
                using var s = socket;
                var received = new StringBuilder();
                var buffer = new byte[4096];
                try
                {
                    while (!received.ToString().Contains("\r\n\r\n"))
                    {
                        var read = await s.ReceiveAsync(buffer, SocketFlags.None);
                        if (read == 0) return;
                        received.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    }
                    _requestLines.Enqueue(received.ToString().Split("\r\n")[0]);
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

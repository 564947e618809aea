using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.Node.Tests.Support;

/// <summary>
/// A scripted HTTP/1.1 backend on a raw socket, for probes and failure cases: answers a fixed status and
/// body (optionally after a delay, optionally keeping the connection alive), or never answers, or resets
/// the connection. Records every request head and when each was served; stopped (with every connection
/// it holds) on dispose.
/// </summary>
public sealed class HttpStubServer : IAsyncDisposable
{
    public enum Mode { Answer, NeverAnswer, Reset }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly ConcurrentQueue<string> _heads = new();
    private readonly ConcurrentQueue<(long Start, long End)> _served = new();
    private readonly Task _loop;
    private readonly int _status;
    private readonly byte[] _body;
    private readonly TimeSpan _delay;
    private readonly Mode _mode;
    private readonly bool _keepAlive;
    private int _accepted;
    private int _concurrent;
    private int _maxConcurrent;
    private int _closedByClient;

    public HttpStubServer(int status = 200, string body = "ok\n", TimeSpan delay = default, Mode mode = Mode.Answer, bool keepAlive = false)
    {
        _status = status;
        _body = Encoding.UTF8.GetBytes(body);
        _delay = delay;
        _mode = mode;
        _keepAlive = keepAlive;
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>The most requests it was serving at one moment (from head received until the bytes that complete its answer are sent).</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    /// <summary>Connections the client closed while a request was waiting for its answer.</summary>
    public int ClosedByClient => Volatile.Read(ref _closedByClient);

    /// <summary>Every request head received, in order, e.g. "GET /healthz HTTP/1.1\r\nHost: ...".</summary>
    public IReadOnlyList<string> Heads => _heads.ToArray();

    /// <summary>Stopwatch timestamps from each head received to the sending of the bytes that complete its answer.</summary>
    public IReadOnlyList<(long Start, long End)> Served => _served.ToArray();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
            catch { return; }
            Interlocked.Increment(ref _accepted);
            var task = Task.Run(() => ServeAsync(socket));
            _connections[task] = true;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var s = socket;
        var buffer = new byte[8192];
        var received = new StringBuilder();
        try
        {
            while (true)
            {
                int end;
                while ((end = received.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                {
                    var read = await s.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (read == 0) return;
                    received.Append(Encoding.Latin1.GetString(buffer, 0, read));
                }
                _heads.Enqueue(received.ToString(0, end));
                received.Remove(0, end + 4);
                var start = Stopwatch.GetTimestamp();
                var now = Interlocked.Increment(ref _concurrent);
                var inFlight = true;
                try
                {
                    int max;
                    while (now > (max = Volatile.Read(ref _maxConcurrent)) && Interlocked.CompareExchange(ref _maxConcurrent, now, max) != max) { }

                    switch (_mode)
                    {
                        case Mode.NeverAnswer:
                            // Wait for the client to give up (EOF or reset); the test's dispose ends it otherwise.
                            try { while (await s.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0) { } }
                            catch (SocketException) { }
                            if (!_stop.IsCancellationRequested) Interlocked.Increment(ref _closedByClient);
                            return;
                        case Mode.Reset:
                            s.LingerState = new LingerOption(true, 0);
                            s.Close();
                            return;
                    }

                    if (_delay > TimeSpan.Zero) await Task.Delay(_delay, _stop.Token);
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {_status} Stub\r\nContent-Length: {_body.Length}\r\nContent-Type: text/plain\r\n"
                        + (_keepAlive ? "" : "Connection: close\r\n") + "\r\n");
                    if (_body.Length > 0) await s.SendAsync(head, SocketFlags.None, _stop.Token);
                    // The request is over before the bytes that complete its answer go out: the client may send its
                    // next one as soon as they arrive, before this continuation runs (a loaded run of the suite lost that race once).
                    _served.Enqueue((start, Stopwatch.GetTimestamp()));
                    Interlocked.Decrement(ref _concurrent);
                    inFlight = false;
                    await s.SendAsync(_body.Length > 0 ? _body : head, SocketFlags.None, _stop.Token);
                }
                finally
                {
                    if (inFlight) Interlocked.Decrement(ref _concurrent);
                }
                if (!_keepAlive)
                {
                    s.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
        await Task.WhenAll(_connections.Keys);
        _stop.Dispose();
    }
}

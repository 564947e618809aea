using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Configuration;
using Drover.Core.Io;
using Drover.Core.Routing;
using Drover.Node.Listeners.Http;
using Drover.Node.Pools;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Listeners.Tcp;

/// <summary>
/// An L4 listener: an accept loop handing each connection to a <see cref="TcpProxyConnection"/>,
/// plus a once-a-second sweep that closes idle connections. Under the epoll engine the listening
/// socket and every connection (client and backend side) run on Drover's event loops, accepted
/// connections spread over them in turn; otherwise on .NET's sockets.
/// </summary>
public sealed class TcpProxyServer : IListenerServer
{
    private readonly ConcurrentDictionary<long, TcpProxyConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly EndPoint _bind;
    private Socket? _listen;
    private LoopSocket? _accepting;
    private Task? _acceptLoop;
    private Task? _sweeper;
    private long _nextId;

    public TcpProxyServer(ListenerConfig config, PoolHandle? pool, SniRouteTable<PoolHandle>? sniRoutes, ILogger log,
        AccessLog.AccessLogWriter? accessLog = null, ListenerCounters? counters = null, IoEngine engine = IoEngine.Epoll)
    {
        UsesEventLoops = HttpListenerServer.EngineFor(engine) == IoEngine.Epoll;
        Counters = counters ?? new ListenerCounters();
        Name = config.Name;
        _bind = config.Bind.ToEndPoint();
        _routes = new ListenerRoutes(null, Http.ListenerTimeouts.Default, pool, sniRoutes, config.InspectDelay);
        Log = log;
        AccessLog = accessLog ?? Drover.Node.AccessLog.AccessLogWriter.Disabled;
    }

    public string Name { get; }
    private ListenerRoutes _routes;

    /// <summary>The pool, SNI routes and inspect delay, read once per connection; a reload swaps them whole.</summary>
    public ListenerRoutes Routes => Volatile.Read(ref _routes);

    public PoolHandle? Pool => Routes.Pool;
    public SniRouteTable<PoolHandle>? SniRoutes => Routes.Sni;
    public TimeSpan InspectDelay => Routes.InspectDelay;

    public void Reroute(ListenerRoutes routes) => Volatile.Write(ref _routes, routes);
    internal ILogger Log { get; }
    internal AccessLog.AccessLogWriter AccessLog { get; }

    /// <summary>Connections and bytes of this listener.</summary>
    public ListenerCounters Counters { get; }

    public int InFlight => _connections.Count;

    /// <summary>True when connections run on Drover's event loops (the epoll engine, on Linux).</summary>
    public bool UsesEventLoops { get; }

    public string Engine => UsesEventLoops ? "epoll" : "sockets";

    public Task<EndPoint> StartAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(_bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(_bind);
            socket.Listen(1024);
            if (UsesEventLoops) _accepting = LoopSocket.FromListening(EventLoopGroup.Shared.Next(), socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listen = socket;
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        _sweeper = Task.Run(SweepIdleAsync, CancellationToken.None);
        return Task.FromResult(socket.LocalEndPoint!);
    }

    private async Task AcceptLoopAsync()
    {
        var listen = _listen!;
        while (!_stopping.IsCancellationRequested)
        {
            IConnectedSocket client;
            IPEndPoint? remote;
            EventLoop? loop = null;
            try
            {
                if (_accepting is not null)
                {
                    (var handle, remote) = await _accepting.AcceptAsync(_stopping.Token);
                    loop = EventLoopGroup.Shared.Next();
                    try
                    {
                        client = LoopSocket.FromAccepted(loop, handle);
                    }
                    catch
                    {
                        handle.Dispose();
                        throw;
                    }
                }
                else
                {
                    var socket = await listen.AcceptAsync(_stopping.Token);
                    socket.NoDelay = true;
                    remote = socket.RemoteEndPoint as IPEndPoint;
                    client = new DotNetSocket(socket);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Per-connection accept errors (e.g. a client reset before accept, out of fds) must not stop the listener.
                Log.LogWarning("listener {Listener}: accept failed: {Error}", Name, ex.SocketErrorCode);
                await Task.Delay(10);
                continue;
            }

            Counters.OnConnectionOpened();
            var connection = new TcpProxyConnection(Interlocked.Increment(ref _nextId), client, remote, loop, this);
            _connections[connection.Id] = connection;
            _ = RunConnectionAsync(connection);
        }
    }

    private async Task RunConnectionAsync(TcpProxyConnection connection)
    {
        try
        {
            await connection.RunAsync(_stopping.Token);
        }
        finally
        {
            Counters.OnConnectionClosed();
            _connections.TryRemove(connection.Id, out _);
        }
    }

    private async Task SweepIdleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var now = Environment.TickCount64;
                foreach (var connection in _connections.Values)
                    if (connection.IsIdle(now)) connection.Abort(graceful: true, idle: true);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync(TimeSpan drain)
    {
        // Stop accepting first: the port closes, established connections keep flowing.
        _accepting?.Dispose();
        _listen?.Dispose();
        var deadline = DateTime.UtcNow + drain;
        while (!_connections.IsEmpty && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _accepting?.Dispose();
        _listen?.Dispose();
        foreach (var connection in _connections.Values) connection.Abort(graceful: true);
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        if (_sweeper is not null) await _sweeper.ConfigureAwait(false);
    }
}

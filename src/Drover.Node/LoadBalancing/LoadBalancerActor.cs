using Akka.Actor;
using Akka.Event;
using Drover.Core.Configuration;
using Drover.Core.Pools;
using Drover.Core.Routing;
using Drover.Node.Listeners;
using Drover.Node.Listeners.Http;
using Drover.Node.Listeners.Http.FastPath;
using Drover.Node.Listeners.Tcp;
using Drover.Node.Pools;
using Microsoft.Extensions.Logging;

namespace Drover.Node.LoadBalancing;

/// <summary>
/// The root of a node's load balancer: starts one <see cref="PoolActor"/> per pool and one
/// <see cref="ListenerActor"/> per listener from the validated config, reports readiness when every
/// listener is bound, and unbinds them all on shutdown.
/// </summary>
public sealed class LoadBalancerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DroverConfig _config;
    private readonly DroverRuntime _runtime;
    private readonly ILoggerFactory _loggerFactory;
    private readonly HashSet<string> _unbound = new();
    private readonly Dictionary<string, IActorRef> _listeners = new();

    private readonly IActorRef? _healthRegion;

    public LoadBalancerActor(DroverConfig config, DroverRuntime runtime, ILoggerFactory loggerFactory, IActorRef? healthRegion = null)
    {
        _healthRegion = healthRegion;
        _config = config;
        _runtime = runtime;
        _loggerFactory = loggerFactory;

        Receive<ListenerProtocol.Bound>(bound =>
        {
            _runtime.Listeners[bound.Listener] = bound.EndPoint;
            _unbound.Remove(bound.Listener);
            if (_unbound.Count == 0)
            {
                _log.Info("all {0} listeners bound", _listeners.Count);
                _runtime.MarkReady();
            }
        });
        Receive<ListenerProtocol.BindFailed>(failed => _runtime.MarkFailed(failed.Listener, failed.Reason));
        Receive<LoadBalancerProtocol.UnbindAll>(OnUnbindAll);
    }

    protected override void PreStart()
    {
        foreach (var pool in _config.Pools)
        {
            var backends = pool.Backends.Select((b, i) => new Backend(pool.Name, b, i)).ToArray();
            var handle = new PoolHandle(pool, PoolSnapshot.Build(pool, 0, backends, b => b.ConfiguredWeight));
            handle.Sessions = _runtime.Sessions?.Attach(handle);
            // Set here, not only in the actor's PreStart: the node may report ready (listeners bound) before that runs.
            handle.Actor = Context.ActorOf(PoolActor.Props(pool, handle, backends, healthRegion: _healthRegion), $"pool-{pool.Name}");
            _runtime.Pools[pool.Name] = handle;
        }

        foreach (var listener in _config.Listeners)
        {
            var server = CreateServer(listener);
            _listeners[listener.Name] = Context.ActorOf(ListenerActor.Props(listener.Name, server), $"listener-{listener.Name}");
            _unbound.Add(listener.Name);
        }
        if (_unbound.Count == 0) _runtime.MarkReady();
    }

    private IListenerServer CreateServer(ListenerConfig listener)
    {
        PoolHandle Resolve(string pool) => _runtime.Pools[pool];
        var logger = _loggerFactory.CreateLogger($"Drover.Listener.{listener.Name}");
        var counters = _runtime.ListenerCounters.GetOrAdd(listener.Name, _ => new ListenerCounters());
        if (listener.Mode == ListenerMode.Http)
        {
            var routes = RouteTable<PoolHandle>.Compile(listener.Routes, Resolve);
            var routed = listener.Routes.Select(r => r.Pool).ToHashSet(StringComparer.Ordinal);
            var timeouts = ListenerTimeouts.For(_config.Pools.Where(p => routed.Contains(p.Name)));
            var fastPath = listener.FastPath ? new Http1FastPath(routes, timeouts, listener.Name, _runtime.AccessLog, counters) : null;
            if (fastPath is not null) _runtime.FastPaths[listener.Name] = fastPath;
            return new HttpListenerServer(listener, forwarder => new HttpProxyHandler(routes, forwarder, listener.Name, _runtime.AccessLog), _loggerFactory, timeouts, fastPath, counters);
        }

        var fallback = listener.Pool is null ? null : Resolve(listener.Pool);
        var sni = listener.SniRoutes.Count == 0 ? null : new SniRouteTable<PoolHandle>(listener.SniRoutes, Resolve, fallback);
        return new TcpProxyServer(listener, fallback, sni, logger, _runtime.AccessLog, counters);
    }

    private void OnUnbindAll(LoadBalancerProtocol.UnbindAll unbind)
    {
        var replyTo = Sender;
        var tasks = _listeners.Values
            .Select(listener => listener.Ask<ListenerProtocol.Unbound>(new ListenerProtocol.Unbind(unbind.Drain), unbind.Drain + TimeSpan.FromSeconds(5)))
            .ToArray();
        Task.WhenAll(tasks).PipeTo(replyTo, Self,
            success: () => LoadBalancerProtocol.Unbound.Instance,
            failure: _ => LoadBalancerProtocol.Unbound.Instance);
    }

    protected override void PostStop()
    {
        foreach (var handle in _runtime.Pools.Values) handle.Dispose();
    }

    public static Props Props(DroverConfig config, DroverRuntime runtime, ILoggerFactory loggerFactory, IActorRef? healthRegion = null) =>
        Akka.Actor.Props.Create(() => new LoadBalancerActor(config, runtime, loggerFactory, healthRegion));
}

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
/// listener is bound, applies reloads (<see cref="LoadBalancerProtocol.Reload"/>), and unbinds every
/// listener on shutdown.
/// </summary>
/// <remarks>
/// A reload never closes what is open: pools that stay change in place (their actors keep the
/// backends whose id and address stay); listeners that keep their socket get new routes with one
/// reference swap; removed listeners stop accepting and drain; removed pools stop once nothing is in
/// flight on them.
/// </remarks>
public sealed class LoadBalancerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DroverConfig _config;
    private readonly DroverRuntime _runtime;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeSpan _drain;
    private readonly HashSet<string> _unbound = new();
    private readonly Dictionary<string, IActorRef> _listeners = new();
    // A listener whose bind changed: the new actor (key) binds first, then the old one (value) drains.
    private readonly Dictionary<IActorRef, IActorRef> _replacing = new();
    private int _generation;
    private bool _reloaded;

    private readonly IActorRef? _healthRegion;

    /// <param name="drain">How long a listener that a reload removes (or moves) lets its connections finish; the shutdown drain timeout.</param>
    public LoadBalancerActor(DroverConfig config, DroverRuntime runtime, ILoggerFactory loggerFactory, IActorRef? healthRegion = null,
        TimeSpan? drain = null)
    {
        _healthRegion = healthRegion;
        _config = config;
        _runtime = runtime;
        _runtime.Config = config;
        _loggerFactory = loggerFactory;
        _drain = drain ?? TimeSpan.FromSeconds(10);

        Receive<ListenerProtocol.Bound>(OnBound);
        Receive<ListenerProtocol.BindFailed>(OnBindFailed);
        Receive<ListenerProtocol.Unbound>(_ => Context.Stop(Sender)); // a listener a reload removed has drained
        Receive<LoadBalancerProtocol.UnbindAll>(OnUnbindAll);
        Receive<LoadBalancerProtocol.Reload>(OnReload);
        Receive<ReloadApplied>(OnReloadApplied);
    }

    protected override void PreStart()
    {
        foreach (var pool in _config.Pools) StartPool(pool);
        foreach (var listener in _config.Listeners)
        {
            StartListener(listener, _config);
            _unbound.Add(listener.Name);
        }
        if (_unbound.Count == 0) _runtime.MarkReady();
    }

    private void StartPool(PoolConfig pool)
    {
        var backends = pool.Backends.Select((b, i) => new Backend(pool.Name, b, i)).ToArray();
        var handle = new PoolHandle(pool, PoolSnapshot.Build(pool, 0, backends, b => b.ConfiguredWeight));
        handle.Sessions = _runtime.Sessions?.Attach(handle);
        // Set here, not only in the actor's PreStart: the node may report ready (listeners bound) before that runs.
        handle.Actor = Context.ActorOf(PoolActor.Props(pool, handle, backends, healthRegion: _healthRegion), ActorName("pool", pool.Name));
        _runtime.Pools[pool.Name] = handle;
    }

    private IActorRef StartListener(ListenerConfig listener, DroverConfig config)
    {
        var server = CreateServer(listener, config);
        var actor = Context.ActorOf(ListenerActor.Props(listener.Name, server), ActorName("listener", listener.Name));
        _listeners[listener.Name] = actor;
        return actor;
    }

    /// <summary>
    /// <c>pool-web</c>, <c>listener-http</c>; after a reload with a generation (<c>listener-http-3</c>):
    /// a listener that moves runs beside its predecessor while that one drains, and so may a pool
    /// removed and added again.
    /// </summary>
    private string ActorName(string kind, string name) => _reloaded ? $"{kind}-{name}-{++_generation}" : $"{kind}-{name}";

    private void OnBound(ListenerProtocol.Bound bound)
    {
        if (_replacing.Remove(Sender, out var old))
        {
            _log.Info("listener {0} moved to {1}; the old socket stops accepting and drains", bound.Listener, bound.EndPoint);
            old.Tell(new ListenerProtocol.Unbind(_drain));
        }
        if (_listeners.TryGetValue(bound.Listener, out var current) && current.Equals(Sender))
            _runtime.Listeners[bound.Listener] = bound.EndPoint;
        if (_unbound.Remove(bound.Listener) && _unbound.Count == 0)
        {
            _log.Info("all {0} listeners bound", _listeners.Count);
            _runtime.MarkReady();
        }
    }

    private void OnBindFailed(ListenerProtocol.BindFailed failed)
    {
        if (_replacing.Remove(Sender, out var old))
        {
            // The old socket keeps serving rather than leave the listener with none.
            _log.Error("reload: listener {0} could not bind its new address ({1}); it keeps serving on the old one", failed.Listener, failed.Reason);
            _listeners[failed.Listener] = old;
            return;
        }
        _runtime.MarkFailed(failed.Listener, failed.Reason);
        if (_unbound.Count == 0) _log.Error("reload: listener {0} could not bind: {1}", failed.Listener, failed.Reason);
    }

    /// <summary>Compiles where a listener sends traffic, against the pools' current handles.</summary>
    private ListenerRoutes RoutesFor(ListenerConfig listener, DroverConfig config)
    {
        PoolHandle Resolve(string pool) => _runtime.Pools[pool];
        if (listener.Mode == ListenerMode.Http)
        {
            var routed = listener.Routes.Select(r => r.Pool).ToHashSet(StringComparer.Ordinal);
            return new ListenerRoutes(RouteTable<PoolHandle>.Compile(listener.Routes, Resolve),
                ListenerTimeouts.For(config.Pools.Where(p => routed.Contains(p.Name))), null, null, listener.InspectDelay);
        }
        var fallback = listener.Pool is null ? null : Resolve(listener.Pool);
        var sni = listener.SniRoutes.Count == 0 ? null : new SniRouteTable<PoolHandle>(listener.SniRoutes, Resolve, fallback);
        return new ListenerRoutes(null, ListenerTimeouts.Default, fallback, sni, listener.InspectDelay);
    }

    private IListenerServer CreateServer(ListenerConfig listener, DroverConfig config)
    {
        var logger = _loggerFactory.CreateLogger($"Drover.Listener.{listener.Name}");
        var counters = _runtime.ListenerCounters.GetOrAdd(listener.Name, _ => new ListenerCounters());
        var routes = RoutesFor(listener, config);
        if (listener.Mode == ListenerMode.Http)
        {
            var fastPath = listener.FastPath
                ? new Http1FastPath(routes.Http!, routes.Timeouts, listener.Name, _runtime.AccessLog, counters) { SpliceMinimum = Http1FastPath.SpliceMinimumFor(config.Io) }
                : null;
            if (fastPath is not null) _runtime.FastPaths[listener.Name] = fastPath;
            else _runtime.FastPaths.TryRemove(listener.Name, out _);
            return new HttpListenerServer(listener, forwarder => new HttpProxyHandler(routes.Http!, forwarder, listener.Name, _runtime.AccessLog),
                _loggerFactory, routes.Timeouts, fastPath, counters, config.Io.Engine);
        }
        return new TcpProxyServer(listener, routes.Pool, routes.Sni, logger, _runtime.AccessLog, counters, config.Io.Engine);
    }

    // ---- reload ----

    private void OnReload(LoadBalancerProtocol.Reload reload)
    {
        var next = reload.Config;
        var changes = ConfigChanges.Between(_config, next);
        var errors = changes.Rejections.Concat(UnavailableBinds(next)).ToList();
        if (errors.Count > 0)
        {
            Sender.Tell(LoadBalancerProtocol.ReloadResult.Rejected(errors));
            return;
        }

        var summary = changes.Summary;
        if (changes.IsEmpty)
        {
            // Nothing to apply, but the config object is the new one (it may differ in what no part reads live, e.g. drover.reload).
            _config = next;
            _runtime.Config = next;
            _log.Info("reload: no changes");
            Sender.Tell(new LoadBalancerProtocol.ReloadResult(true, summary, []));
            return;
        }

        _reloaded = true;
        var running = _config;
        // In force from here: what starts now (a backend's health entity, a pool's sessions) reads the new config.
        _config = next;
        _runtime.Config = next;

        // 1. Pools first, so that every route compiled below finds its pool.
        foreach (var name in changes.AddedPools) StartPool(next.FindPool(name)!);
        var applied = new List<Task>();
        Func<PoolHandle, Sessions.PoolSessions?>? attach = _runtime.Sessions is { } sessions ? sessions.Attach : null;
        foreach (var change in changes.ChangedPools)
        {
            var handle = _runtime.Pools[change.Name];
            applied.Add(handle.Actor.Ask<PoolProtocol.Reconfigured>(
                new PoolProtocol.Reconfigure(next.FindPool(change.Name)!, attach),
                TimeSpan.FromSeconds(10)));
        }

        // 2. Listeners: removed ones stop accepting and drain; moved ones bind anew, then the old
        // socket drains; every other one gets its routes compiled again (a pool it reaches may have
        // new timeouts) and swapped in without touching its socket.
        var oldListeners = running.Listeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
        foreach (var name in changes.RemovedListeners)
        {
            if (!_listeners.Remove(name, out var actor)) continue;
            actor.Tell(new ListenerProtocol.Unbind(_drain));
            _runtime.Listeners.TryRemove(name, out _);
            _runtime.FastPaths.TryRemove(name, out _);
        }
        foreach (var listener in next.Listeners)
        {
            if (!oldListeners.TryGetValue(listener.Name, out var old))
            {
                StartListener(listener, next);
                continue;
            }
            if (old.Bind != listener.Bind)
            {
                var previous = _listeners[listener.Name];
                _runtime.Listeners.TryRemove(listener.Name, out _);
                _replacing[StartListener(listener, next)] = previous;
                continue;
            }
            if (_listeners.TryGetValue(listener.Name, out var actor))
                applied.Add(actor.Ask<ListenerProtocol.Rerouted>(new ListenerProtocol.Reroute(RoutesFor(listener, next)), TimeSpan.FromSeconds(10)));
        }

        // 3. Removed pools leave the runtime now (lb pools, metrics) and retire once every listener
        // has its new routes (step 4): then nothing new can reach them.
        var retiring = new List<PoolHandle>();
        foreach (var name in changes.RemovedPools)
            if (_runtime.Pools.TryRemove(name, out var handle))
                retiring.Add(handle);

        _log.Info("reload: {0}", summary);
        var replyTo = Sender;
        Task.WhenAll(applied).PipeTo(Self, Self,
            success: () => new ReloadApplied(replyTo, summary, retiring, null),
            failure: ex => new ReloadApplied(replyTo, summary, retiring, ex.GetBaseException().Message));
    }

    /// <summary>4. Every changed pool published its snapshot and every listener swapped its routes: removed pools retire, and the reload is answered.</summary>
    private void OnReloadApplied(ReloadApplied applied)
    {
        // A removed pool stops once nothing is in flight on it.
        foreach (var handle in applied.Retiring) handle.Actor.Tell(PoolProtocol.Retire.Instance);
        applied.ReplyTo.Tell(new LoadBalancerProtocol.ReloadResult(true,
            applied.Late is null ? applied.Summary : $"{applied.Summary} (not every pool or listener confirmed in time: {applied.Late})", []));
    }

    private sealed record ReloadApplied(IActorRef ReplyTo, string Summary, IReadOnlyList<PoolHandle> Retiring, string? Late);

    /// <summary>New sockets (added or moved listeners) on ports that cannot be bound: rejected before anything changes.</summary>
    private IEnumerable<ConfigError> UnavailableBinds(DroverConfig next)
    {
        var old = _config.Listeners.ToDictionary(l => l.Name, l => l.Bind, StringComparer.Ordinal);
        var fresh = next.Listeners.Where(l => !old.TryGetValue(l.Name, out var bind) || bind != l.Bind).ToList();
        return fresh.Count == 0 ? [] : Hosting.PortCheck.FindUnavailable(fresh);
    }

    private void OnUnbindAll(LoadBalancerProtocol.UnbindAll unbind)
    {
        var replyTo = Sender;
        var tasks = _listeners.Values.Concat(_replacing.Values)
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

    public static Props Props(DroverConfig config, DroverRuntime runtime, ILoggerFactory loggerFactory, IActorRef? healthRegion = null,
        TimeSpan? drain = null) =>
        Akka.Actor.Props.Create(() => new LoadBalancerActor(config, runtime, loggerFactory, healthRegion, drain));
}

using System.Collections.Concurrent;
using System.Net;
using Drover.Core.Configuration;
using Drover.Node.Pools;

namespace Drover.Node.LoadBalancing;

/// <summary>
/// What the host (and tests) can see of the running load balancer without asking an actor: the
/// pools' handles, the bound listener endpoints, and a task that completes once every listener
/// is bound (or fails with the first bind error).
/// </summary>
public sealed class DroverRuntime
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentDictionary<string, PoolHandle> Pools { get; } = new();
    public ConcurrentDictionary<string, EndPoint> Listeners { get; } = new();
    public ConcurrentDictionary<string, Listeners.ListenerCounters> ListenerCounters { get; } = new();

    /// <summary>The HTTP listeners' fast paths (those that have one), for counters.</summary>
    public ConcurrentDictionary<string, Listeners.Http.FastPath.Http1FastPath> FastPaths { get; } = new();

    /// <summary>The node's sticky-session machinery (set by the host before the actor system starts).</summary>
    public Sessions.SessionService? Sessions { get; internal set; }

    public Task Ready => _ready.Task;

    private DroverConfig? _config;

    /// <summary>
    /// The <c>drover</c> section in force: the one the node started with, then each reload's. Read it
    /// here, never from the start-up <see cref="DroverConfig"/> singleton, to see what runs now.
    /// </summary>
    public DroverConfig Config
    {
        get => Volatile.Read(ref _config) ?? throw new InvalidOperationException("the load balancer has not started");
        internal set => Volatile.Write(ref _config, value);
    }

    /// <summary>Reloads the <c>drover</c> section from the node's config file (<c>lb reload</c>, SIGHUP, the file watcher); null for a node not started from a file.</summary>
    public Reload.ConfigReloader? Reloader { get; internal set; }

    /// <summary>The access log the listeners write to (<see cref="AccessLog.AccessLogWriter.Disabled"/> when off).</summary>
    public AccessLog.AccessLogWriter AccessLog { get; set; } = Drover.Node.AccessLog.AccessLogWriter.Disabled;

    internal void MarkReady() => _ready.TrySetResult();
    internal void MarkFailed(string listener, string reason) =>
        _ready.TrySetException(new ListenerBindException(listener, reason));

    public IPEndPoint ListenerEndPoint(string name) => (IPEndPoint)Listeners[name];
}

public sealed class ListenerBindException(string listener, string reason)
    : Exception($"drover.listeners.{listener}.bind: {reason}")
{
    public string Listener { get; } = listener;
}

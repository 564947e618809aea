using Akka.Actor;
using Drover.Core.Configuration;
using Drover.Core.Pools;
using Yarp.ReverseProxy.Forwarder;

namespace Drover.Node.Pools;

/// <summary>
/// Where the data path finds a pool: the current <see cref="PoolSnapshot"/> (swapped in by the pool
/// actor with one volatile write, read without locks), the pool's HTTP client, and the actor to tell
/// about what the data path saw. Routes hold a direct reference, so a request does no lookup by name.
/// </summary>
public sealed class PoolHandle : IDisposable
{
    private PoolSnapshot _snapshot;

    public PoolHandle(PoolConfig config, PoolSnapshot initial)
    {
        Name = config.Name;
        _snapshot = initial;
        Http = BackendHttpClientFactory.Create(config);
        Connections = initial.Backends.Select(b => new BackendConnectionPool(b, config.Timeouts.Connect)).ToArray();
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = config.Timeouts.Response,
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    public string Name { get; }

    public PoolSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public HttpMessageInvoker Http { get; }

    /// <summary>Keep-alive connections for the HTTP/1.1 fast path, indexed by <see cref="Backend.Ordinal"/>.</summary>
    public BackendConnectionPool[] Connections { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    /// <summary>The pool actor; <see cref="ActorRefs.Nobody"/> until it starts.</summary>
    public IActorRef Actor { get; internal set; } = ActorRefs.Nobody;

    internal void Publish(PoolSnapshot snapshot) => Volatile.Write(ref _snapshot, snapshot);

    public void Dispose()
    {
        Http.Dispose();
        foreach (var pool in Connections) pool.Clear();
    }
}

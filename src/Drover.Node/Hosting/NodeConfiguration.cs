using Akka.Configuration;
using Drover.Core.Configuration;

namespace Drover.Node.Hosting;

/// <summary>The merged HOCON (file, then environment overrides) and the validated drover section read from it.</summary>
public sealed record NodeConfiguration(Config Hocon, DroverConfig Drover, string Source)
{
    /// <summary>How long shutdown waits for requests and connections in flight (<c>drover.shutdown.drain-timeout</c>).</summary>
    public TimeSpan DrainTimeout => Drover.Shutdown.DrainTimeout;

    /// <summary>How long <c>/readyz</c> fails before the listeners stop accepting (<c>drover.shutdown.ready-delay</c>).</summary>
    public TimeSpan ReadyDelay => Drover.Shutdown.ReadyDelay;

    /// <summary>The config file (full path) when the node was started from one: what a reload reads again.</summary>
    public string? File { get; init; }

    /// <summary>The environment the file was merged with (<c>CLUSTER_*</c>, <c>AKKA__</c>, <c>DROVER__</c>); a reload applies the same overrides.</summary>
    public System.Collections.IDictionary? Environment { get; init; }

    /// <summary>Sticky-session tuning (deadlines, cache size); the same on every node.</summary>
    public Sessions.SessionOptions Sessions { get; init; } = global::Drover.Node.Sessions.SessionOptions.Default;
}

using Akka.Cluster.Sharding;
using Drover.Core.Health;

namespace Drover.Node.Health.Cluster;

/// <summary>
/// Messages of the sharded <c>backend-health</c> entity (one per pool and backend in the whole
/// cluster) and the verdicts it publishes through DistributedData.
/// </summary>
public static class BackendHealthProtocol
{
    public const string TypeName = "backend-health";

    /// <summary>Any message for one backend's entity.</summary>
    public interface IBackendMessage
    {
        string Pool { get; }
        string BackendId { get; }
    }

    /// <summary>Told by every pool actor every few seconds: starts the entity (and so its prober) and keeps it alive.</summary>
    public sealed record Watch(string Pool, string BackendId) : IBackendMessage;

    /// <summary>
    /// A reload removed the backend or changed its pool's health settings: the entity stops (its
    /// prober with it); the next <see cref="Watch"/> starts a new one from the node's current config.
    /// </summary>
    public sealed record Retire(string Pool, string BackendId) : IBackendMessage;

    /// <summary>
    /// A node's own passive verdict on the backend: ejected (until when, and why) or not. Sent on every
    /// local change and repeated with each <see cref="Watch"/> while ejected, so a re-created entity learns it.
    /// </summary>
    public sealed record NodeReport(string Pool, string BackendId, string Node, bool Ejected, DateTime EjectedUntilUtc, string Reason) : IBackendMessage;

    /// <summary>The cluster's verdict on one backend, as stored in DistributedData.</summary>
    public sealed record Verdict(BackendHealthStatus Status, string Reason)
    {
        public static readonly Verdict Up = new(BackendHealthStatus.Up, "");

        /// <summary>DistributedData holds verdicts as strings ("status|reason"): no custom serializer needed across nodes.</summary>
        public string Encode() => $"{Status}|{Reason}";

        public static Verdict Decode(string text)
        {
            var bar = text.IndexOf('|');
            var status = bar < 0 ? text : text[..bar];
            return Enum.TryParse<BackendHealthStatus>(status, out var parsed)
                ? new Verdict(parsed, bar < 0 ? "" : text[(bar + 1)..])
                : Up;
        }
    }

    /// <summary>The entity id of one backend: pool and backend ids are identifiers, so '/' separates them unambiguously.</summary>
    public static string EntityId(string pool, string backendId) => $"{pool}/{backendId}";

    /// <summary>The DistributedData key holding one pool's verdicts (backend id -> encoded verdict).</summary>
    public static Akka.DistributedData.LWWDictionaryKey<string, string> VerdictsKey(string pool) => new($"drover-health-{pool}");

    /// <summary>Routes messages to entities: entity id = pool/backend, 32 shards.</summary>
    public sealed class MessageExtractor() : HashCodeMessageExtractor(32)
    {
        public override string? EntityId(object message) =>
            message is IBackendMessage m ? BackendHealthProtocol.EntityId(m.Pool, m.BackendId) : null;
    }
}

using System.Globalization;
using Akka.Cluster.Sharding;
using Drover.Core.Sessions;

namespace Drover.Node.Sessions;

/// <summary>
/// Routes session messages by entity id. The shard is a stable hash of the id (XxHash3, the same on
/// every node and every run), not <see cref="object.GetHashCode"/>.
/// </summary>
public sealed class SessionMessageExtractor(int shards) : IMessageExtractor
{
    private const ulong ShardSalt = 0x5348415244UL; // "SHARD": shards and store keys hash independently

    public string? EntityId(object message) => message switch
    {
        SessionProtocol.IWithSessionId m => m.EntityId,
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string? ShardId(object message) => EntityId(message) is { } id ? ShardId(id) : null;

    public string ShardId(string entityId, object? messageHint = null) => ShardOf(entityId, shards);

    public static string ShardOf(string entityId, int shards) =>
        SessionKeys.Bucket(entityId, shards, ShardSalt).ToString(CultureInfo.InvariantCulture);
}

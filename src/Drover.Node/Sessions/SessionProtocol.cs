namespace Drover.Node.Sessions;

/// <summary>Messages to and from the sharded <c>session</c> entities (<see cref="SessionActor"/>).</summary>
public static class SessionProtocol
{
    /// <summary>Every message for a session entity names it; <see cref="SessionMessageExtractor"/> routes by this.</summary>
    public interface IWithSessionId
    {
        string EntityId { get; }
    }

    /// <summary>
    /// A node's first request for a key: answered with <see cref="Binding"/>. An unbound session
    /// binds <paramref name="Proposal"/> (null: look up only, as learn-cookie does); the first
    /// proposal to arrive wins, so concurrent first requests through different nodes agree.
    /// </summary>
    public sealed record Resolve(string EntityId, string? Proposal, ulong KeyHash) : IWithSessionId;

    /// <summary>
    /// A renewal, told (never asked) at most once per ttl/4 per key by each node that uses the session.
    /// When <paramref name="Backend"/> is not the binding, the owner tells the sender
    /// <see cref="BindingChanged"/>, which is how a node with a stale cached binding follows a rebind.
    /// </summary>
    public sealed record Touch(string EntityId, string Backend, string Pool, string Key) : IWithSessionId;

    /// <summary>Binds unconditionally: a new cookie session, or a cookie value a backend set (learn-cookie). Answered with <see cref="Binding"/>.</summary>
    public sealed record Bind(string EntityId, string Backend) : IWithSessionId;

    /// <summary>
    /// The sender found <paramref name="Dead"/> unusable (down, ejected, maint, or refusing
    /// connections). If the session is bound to it, the owner picks a new backend (consistent hash on
    /// the key over its node's candidates, never the dead one); either way it answers the binding, so
    /// later Rebinds for the same dead backend get the new one.
    /// </summary>
    public sealed record Rebind(string EntityId, string Dead, ulong KeyHash) : IWithSessionId;

    /// <summary>Reads the binding without binding or renewing anything (tests, the CLI).</summary>
    public sealed record GetBinding(string EntityId) : IWithSessionId;

    /// <summary>What the owner knows of the session (the CLI's <c>lb sessions -k</c>); answered with <see cref="SessionInfo"/>. Binds and renews nothing.</summary>
    public sealed record Describe(string EntityId) : IWithSessionId;

    /// <param name="Backend">The binding; null when the session has none.</param>
    /// <param name="Owner">The owner's node (the member that hosts the entity).</param>
    /// <param name="LastUse">How long ago the owner last heard of a use (nodes renew at most once per ttl/4); null when it has not since it started.</param>
    /// <param name="ExpiresIn">How long until the session expires unless it is used.</param>
    public sealed record SessionInfo(string EntityId, string? Backend, string Owner, TimeSpan? LastUse, TimeSpan ExpiresIn);

    /// <summary>The owner's answer; <paramref name="Backend"/> is null for a session with no binding.</summary>
    public sealed record Binding(string EntityId, string? Backend);

    /// <summary>From an owner to the node whose <see cref="Touch"/> named another backend: cache this binding instead.</summary>
    public sealed record BindingChanged(string Pool, string Key, string Backend);
}

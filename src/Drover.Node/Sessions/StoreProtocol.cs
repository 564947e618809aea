using Drover.Core.Sessions;

namespace Drover.Node.Sessions;

/// <summary>Between session entities and their node's <see cref="SessionStoreActor"/> (always local).</summary>
public static class StoreProtocol
{
    /// <summary>Read a binding (<paramref name="Majority"/>: by majority, else the local replica; otherwise the local replica only); answered with <see cref="Loaded"/>.</summary>
    public sealed record Load(string EntityId, bool Majority);

    public sealed record Loaded(string EntityId, SessionRecord? Record);

    /// <summary>Write a binding through (majority); not answered: a failed write is logged and the binding still answers.</summary>
    public sealed record Save(string EntityId, SessionRecord Record);

    /// <summary>Remove an expired binding (majority); answered with <see cref="Deleted"/>.</summary>
    public sealed record Delete(string EntityId);

    public sealed record Deleted(string EntityId, bool Ok);
}

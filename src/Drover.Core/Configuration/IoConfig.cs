namespace Drover.Core.Configuration;

/// <summary>Which socket engine drives the L7 listeners' client connections and the fast path's backend connections.</summary>
public enum IoEngine
{
    /// <summary>Drover's own epoll loops, one thread per CPU (Linux only; elsewhere <see cref="Sockets"/> is used).</summary>
    Epoll,

    /// <summary>.NET's socket engine and Kestrel's socket transport.</summary>
    Sockets,
}

/// <summary><c>drover.io { engine }</c>: read once at start; a change needs a restart.</summary>
public sealed record IoConfig(IoEngine Engine)
{
    public const string EnginePath = "drover.io.engine";

    public static readonly IoConfig Default = new(IoEngine.Epoll);
}

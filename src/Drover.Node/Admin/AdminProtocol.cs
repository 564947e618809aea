namespace Drover.Node.Admin;

/// <summary>Messages to the <see cref="AdminEndpointActor"/>.</summary>
public static class AdminProtocol
{
    /// <summary>Stop serving (CoordinatedShutdown's last phase); answered with <see cref="Stopped"/>.</summary>
    public sealed record Stop
    {
        public static readonly Stop Instance = new();
    }

    public sealed record Stopped
    {
        public static readonly Stopped Instance = new();
    }
}

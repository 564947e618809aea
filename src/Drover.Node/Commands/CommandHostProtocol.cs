using System.Net.Sockets;
using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>Messages of the command host and its sessions.</summary>
public static class CommandHostProtocol
{
    /// <summary>Stop accepting and end every session (running commands are cancelled); answered with <see cref="Stopped"/>.</summary>
    public sealed record Stop
    {
        public static readonly Stop Instance = new();
    }

    public sealed record Stopped
    {
        public static readonly Stopped Instance = new();
    }

    internal sealed record Accepted(Socket Socket);

    /// <summary>A frame the connection read from the client.</summary>
    internal sealed record FrameReceived(CommandFrames.ClientFrame Frame);

    /// <summary>The client went away, broke the protocol (<paramref name="Violation"/>: tell it why), or cannot keep up.</summary>
    internal sealed record ConnectionClosed(string Reason, bool Violation);

    internal sealed record CommandCompleted(long Id, CommandResult Result);

    /// <summary>The node is stopping: cancel, tell the client, close.</summary>
    internal sealed record Shutdown
    {
        public static readonly Shutdown Instance = new();
    }
}

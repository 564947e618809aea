using Akka.Actor;
using Akka.Hosting;
using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>
/// What a running command can use: the actor system, the actor registry (to find e.g. the load
/// balancer actor), and the client's output. Writing never blocks: chunks go to the connection's
/// bounded outbox; a client too slow to keep up is disconnected.
/// </summary>
public sealed class CommandContext
{
    private readonly Func<CommandFrames.ServerFrame, bool> _send;

    internal CommandContext(ActorSystem system, IActorRegistry registry, long id, Func<CommandFrames.ServerFrame, bool> send)
    {
        System = system;
        Registry = registry;
        Id = id;
        _send = send;
    }

    public ActorSystem System { get; }
    public IActorRegistry Registry { get; }

    /// <summary>The client's id for this command.</summary>
    public long Id { get; }

    /// <summary>Sends text as one chunk, as is. Safe from any thread; chunks arrive in the order written.</summary>
    public void Write(string text)
    {
        if (text.Length > 0) _send(new CommandFrames.Output(Id, text));
    }

    public void WriteLine(string line) => Write(line + "\n");

    /// <summary>Sends the lines as one chunk.</summary>
    public void WriteLines(IEnumerable<string> lines)
    {
        var text = string.Concat(lines.Select(l => l + "\n"));
        Write(text);
    }
}

using Akka.Actor;
using Drover.Core.Commands;

namespace Drover.Node.Commands.Palettes;

/// <summary>pbm's <c>actor</c> palette: the local actor tree, one path per line.</summary>
public sealed class ActorPalette : CommandPalette
{
    /// <summary>Enough for any real tree; a runaway one is cut with a note rather than flooding the client.</summary>
    private const int MaxActors = 10_000;

    public ActorPalette() : base("actor", "the actors of this node")
    {
        Add(new CommandSpec("hierarchy", "the actor tree below PATH (default: every actor), one path per line",
            new ArgumentSpec("depth", "d", "how many levels below PATH to show (default: all)", Kind: ArgumentKind.Number),
            new ArgumentSpec("start", "s", "where to start, e.g. /user or /user/lb (default: /)")), Hierarchy);
    }

    private static async Task<CommandResult> Hierarchy(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var depth = request.GetNumber("depth", int.MaxValue);
        if (depth < 1) return CommandResult.Fail("actor hierarchy: -d/--depth must be at least 1");
        var start = await ResolveAsync(context.System, request.Get("start") ?? "/", cancellationToken).ConfigureAwait(false);

        var lines = new List<string>();
        // Children are read from each actor's cell: an immutable container, safe to read from outside.
        var pending = new Stack<(IActorRef Actor, int Level)>();
        Push(pending, start, 0);
        var truncated = false;
        while (pending.Count > 0)
        {
            var (actor, level) = pending.Pop();
            if (lines.Count >= MaxActors)
            {
                truncated = true;
                break;
            }
            lines.Add(actor.Path.ToString());
            if (level < depth) Push(pending, actor, level);
        }
        if (truncated) lines.Add($"(stopped after {MaxActors} actors)");
        lines.Add($"Count: {Math.Min(lines.Count, MaxActors)} actors");
        context.WriteLines(lines);
        return CommandResult.Success;
    }

    private static void Push(Stack<(IActorRef, int)> pending, IActorRef parent, int level)
    {
        if (parent is not ActorRefWithCell withCell) return;
        foreach (var child in withCell.Children.OrderByDescending(c => c.Path.Name, StringComparer.Ordinal))
            pending.Push((child, level + 1));
    }

    private static async Task<IActorRef> ResolveAsync(ActorSystem system, string path, CancellationToken cancellationToken)
    {
        var extended = (ExtendedActorSystem)system;
        var text = path.Trim();
        if (text is "/" or "") return extended.Provider.RootGuardian;
        if (!text.StartsWith('/') && !text.Contains("://", StringComparison.Ordinal)) text = "/" + text;
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!ActorPath.TryParse(text, out var parsed))
                throw new CommandException($"actor hierarchy: '{path}' is not an actor path (e.g. /user/lb)");
            if (!parsed.Address.HasLocalScope && !parsed.Address.Equals(extended.Provider.DefaultAddress))
                throw new CommandException($"actor hierarchy: {parsed.Address} is not this node; connect to that node's command host instead");
            text = parsed.ToStringWithoutAddress();
        }
        try
        {
            return await system.ActorSelection(text).ResolveOne(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        }
        catch (ActorNotFoundException)
        {
            throw new CommandException($"actor hierarchy: no actor at {text}");
        }
    }
}

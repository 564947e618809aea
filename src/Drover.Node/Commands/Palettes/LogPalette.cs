using Drover.Core.Commands;
using Drover.Node.Logging;

namespace Drover.Node.Commands.Palettes;

/// <summary>pbm's <c>log</c> palette over the node's in-memory <see cref="LogBuffer"/>.</summary>
public sealed class LogPalette : CommandPalette
{
    public const int DefaultPeekCount = 50;

    private readonly LogBuffer _buffer;

    public LogPalette(LogBuffer buffer) : base("log", "this node's recent log lines (kept in memory)")
    {
        _buffer = buffer;
        Add(new CommandSpec("peek", "the most recent log lines",
            new ArgumentSpec("count", "c", $"how many lines (default {DefaultPeekCount}, at most {buffer.Capacity})", Kind: ArgumentKind.Number)), Peek);
        Add(new CommandSpec("tail", "new log lines as they are written, until Ctrl+C", [], Streaming: true), Tail);
    }

    private Task<CommandResult> Peek(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var count = request.GetNumber("count", DefaultPeekCount);
        if (count < 1) return Task.FromResult(CommandResult.Fail("log peek: -c/--count must be at least 1"));
        var lines = _buffer.Last(count);
        if (lines.Count == 0) context.WriteLine("(no log lines yet)");
        else context.WriteLines(lines);
        return Task.FromResult(CommandResult.Success);
    }

    private async Task<CommandResult> Tail(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        using var subscription = _buffer.Subscribe(context.WriteLine);
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        return CommandResult.Success;
    }
}

using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>
/// A palette of commands that the command host offers (<c>cluster</c>, <c>log</c>, <c>lb</c>, ...).
/// Register one with <see cref="CommandHostExtensions.AddCommandPalette{T}"/>; the host advertises its
/// <see cref="Spec"/> to every client and calls <see cref="ExecuteAsync"/> off any actor, on the
/// thread pool, with arguments already checked against the spec. Most palettes derive from
/// <see cref="CommandPalette"/>.
/// </summary>
public interface ICommandPalette
{
    PaletteSpec Spec { get; }

    /// <summary>
    /// Runs one command: writes its answer through <paramref name="context"/> and returns how it
    /// ended. <paramref name="cancellationToken"/> fires when the client cancels (Ctrl+C), disconnects
    /// or the node shuts down; a streaming command runs until then. Throwing
    /// <see cref="CommandException"/> ends the command with that message as its one error line.
    /// </summary>
    Task<CommandResult> ExecuteAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken);
}

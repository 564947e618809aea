using Akka.Actor;

namespace Drover.Node.Commands;

/// <summary>Runs a palette's command and turns every way it can end into a <see cref="CommandResult"/>.</summary>
internal static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(ICommandPalette palette, CommandRequest request, CommandContext context,
        bool streaming, CancellationToken cancellationToken)
    {
        try
        {
            return await palette.ExecuteAsync(request, context, cancellationToken).ConfigureAwait(false) ?? CommandResult.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelling is how a streaming command normally ends.
            return streaming ? CommandResult.Success : CommandResult.Fail("cancelled");
        }
        catch (CommandException ex)
        {
            return CommandResult.Fail(ex.Message);
        }
        catch (AskTimeoutException)
        {
            return CommandResult.Fail($"{request.Palette} {request.Command}: no answer in time (an actor did not reply)");
        }
        catch (Exception ex)
        {
            var inner = ex.GetBaseException();
            return CommandResult.Fail($"{request.Palette} {request.Command} failed: {inner.GetType().Name}: {inner.Message}");
        }
    }
}

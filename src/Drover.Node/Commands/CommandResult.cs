namespace Drover.Node.Commands;

/// <summary>How a command ended; <see cref="Message"/> is the one line a failure prints.</summary>
public sealed record CommandResult(bool Ok, string? Message)
{
    public static readonly CommandResult Success = new(true, null);

    public static CommandResult Fail(string message) => new(false, message);
}

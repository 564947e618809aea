namespace Drover.Node.Commands;

/// <summary>Thrown by a command to end with a clear one-line error (unknown entity type, not a member, ...).</summary>
public sealed class CommandException(string message) : Exception(message);

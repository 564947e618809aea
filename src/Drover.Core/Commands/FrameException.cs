namespace Drover.Core.Commands;

/// <summary>Bytes on a command connection that are not a frame: bad JSON, bad UTF-8, an unknown type, a line too long.</summary>
public sealed class FrameException(string message) : Exception(message);

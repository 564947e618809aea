using Akka.Actor.Setup;

namespace Drover.Node.Logging;

/// <summary>Hands the node's <see cref="LogBuffer"/> to <see cref="AkkaLogBufferLogger"/>, which Akka creates itself.</summary>
public sealed class LogBufferSetup(LogBuffer buffer) : Setup
{
    public LogBuffer Buffer { get; } = buffer;
}

namespace Drover.Cli;

/// <summary>An error the CLI reports as one line, <c>drover: MESSAGE</c>, exiting with <see cref="ExitCode"/>.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

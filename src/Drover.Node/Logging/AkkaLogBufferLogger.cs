using System.Globalization;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Drover.Node.Logging;

/// <summary>
/// An Akka logger (listed in <c>akka.loggers</c>) that writes Akka's log events into the node's
/// <see cref="LogBuffer"/> from the first moment of the actor system, at <c>akka.loglevel</c>:
/// <c>2025-01-31 12:00:00.123 [warn] /user/lb: message</c>.
/// </summary>
public sealed class AkkaLogBufferLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly LogBuffer? _buffer;

    public AkkaLogBufferLogger()
    {
        var setup = Context.System.Settings.Setup.Get<LogBufferSetup>();
        _buffer = setup.HasValue ? setup.Value.Buffer : null;
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent logEvent:
                _buffer?.Add(Format(logEvent));
                return true;
            default:
                return false;
        }
    }

    public static string Format(LogEvent logEvent)
    {
        var time = logEvent.Timestamp.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var level = logEvent.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => "debug",
            Akka.Event.LogLevel.InfoLevel => "info",
            Akka.Event.LogLevel.WarningLevel => "warn",
            _ => "error",
        };
        string text;
        try
        {
            text = logEvent.Message?.ToString() ?? "";
        }
        catch (Exception ex)
        {
            text = $"(log message could not be formatted: {ex.Message})";
        }
        if (logEvent.Cause is { } cause) text += $" | {cause.GetType().Name}: {cause.Message}";
        return $"{time} [{level}] {ShortSource(logEvent.LogSource)}: {text}";
    }

    /// <summary>An actor's path without the node's address (every line in the buffer is this node's).</summary>
    private static string ShortSource(string source)
    {
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return source;
        var path = source.IndexOf('/', scheme + 3);
        return path < 0 ? source : source[path..];
    }
}

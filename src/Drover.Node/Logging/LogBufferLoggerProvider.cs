using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Logging;

/// <summary>
/// A logging provider that writes one line per log event into a <see cref="LogBuffer"/>:
/// <c>2025-01-31 12:00:00.123 [warn] Category: message</c>. The host's level filters apply to it
/// like to the console. Akka's own events arrive through <see cref="AkkaLogBufferLogger"/> instead
/// (structured, and from the start of the actor system), so their copy that Akka.Hosting's bridge
/// logs under one category is skipped here.
/// </summary>
[ProviderAlias("LogBuffer")]
public sealed class LogBufferLoggerProvider(LogBuffer buffer) : ILoggerProvider
{
    /// <summary>The category under which Akka.Hosting 1.5's logger-factory bridge writes every Akka event.</summary>
    public const string AkkaBridgeCategory = "Akka.Actor.ActorSystem";

    public ILogger CreateLogger(string categoryName) =>
        categoryName == AkkaBridgeCategory ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance : new BufferLogger(buffer, categoryName);

    public void Dispose()
    {
    }

    private sealed class BufferLogger(LogBuffer buffer, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += $" | {exception.GetType().Name}: {exception.Message}";
            var time = DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
            buffer.Add($"{time} [{Level(logLevel)}] {category}: {message}");
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "error",
            _ => "crit",
        };
    }
}

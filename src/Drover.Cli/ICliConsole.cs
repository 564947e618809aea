namespace Drover.Cli;

/// <summary>The terminal the CLI talks to; <see cref="SystemConsole"/> in real use, a fake in tests.</summary>
public interface ICliConsole
{
    TextReader In { get; }
    TextWriter Out { get; }
    TextWriter Error { get; }

    /// <summary>True when a person types at a terminal: line editing, history and completion by key.</summary>
    bool IsTerminal { get; }

    /// <summary>The next key, not echoed (only when <see cref="IsTerminal"/>).</summary>
    ConsoleKeyInfo ReadKey();

    /// <summary>Whether Ctrl+C arrives as a key (while editing a line) or as an interrupt (while a command runs).</summary>
    bool ControlCAsInput { set; }

    /// <summary>
    /// Routes Ctrl+C to <paramref name="handler"/> until disposed. The handler returns true when it
    /// dealt with it (the process goes on), false to let Ctrl+C end the process as usual.
    /// </summary>
    IDisposable OnInterrupt(Func<bool> handler);
}

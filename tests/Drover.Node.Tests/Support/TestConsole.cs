using Drover.Cli;

namespace Drover.Node.Tests.Support;

/// <summary>A console for the CLI in tests: scripted input, captured output, Ctrl+C on demand.</summary>
public sealed class TestConsole : ICliConsole
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();
    private Func<bool>? _interrupt;

    public TestConsole(string input = "")
    {
        In = new StringReader(input);
        Out = TextWriter.Synchronized(_out);
        Error = TextWriter.Synchronized(_error);
    }

    public TextReader In { get; }
    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public bool IsTerminal => false;
    public bool ControlCAsInput { set { } }

    // The synchronized writers lock on themselves; reading under the same lock sees whole writes.
    public string Output
    {
        get { lock (Out) return _out.ToString(); }
    }

    public string ErrorOutput
    {
        get { lock (Error) return _error.ToString(); }
    }

    public ConsoleKeyInfo ReadKey() => throw new InvalidOperationException("not a terminal");

    public IDisposable OnInterrupt(Func<bool> handler)
    {
        Volatile.Write(ref _interrupt, handler);
        return new Registration(() => Interlocked.CompareExchange(ref _interrupt, null, handler));
    }

    /// <summary>Ctrl+C: true when the CLI took it (a command was running).</summary>
    public bool Interrupt() => Volatile.Read(ref _interrupt)?.Invoke() ?? false;

    private sealed class Registration(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

namespace Drover.Cli;

/// <summary>The process's own console.</summary>
public sealed class SystemConsole : ICliConsole
{
    public static readonly SystemConsole Instance = new();

    private SystemConsole()
    {
    }

    public TextReader In => Console.In;
    public TextWriter Out => Console.Out;
    public TextWriter Error => Console.Error;
    public bool IsTerminal => !Console.IsInputRedirected && !Console.IsOutputRedirected;

    public ConsoleKeyInfo ReadKey() => Console.ReadKey(intercept: true);

    public bool ControlCAsInput
    {
        set
        {
            if (IsTerminal) Console.TreatControlCAsInput = value;
        }
    }

    public IDisposable OnInterrupt(Func<bool> handler)
    {
        ConsoleCancelEventHandler onCancel = (_, e) => e.Cancel = handler();
        Console.CancelKeyPress += onCancel;
        return new Registration(() => Console.CancelKeyPress -= onCancel);
    }

    private sealed class Registration(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}

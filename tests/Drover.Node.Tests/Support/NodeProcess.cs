using System.Diagnostics;
using System.Text;

namespace Drover.Node.Tests.Support;

/// <summary>Runs the built Drover.Node as a separate process, the way a user does.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private NodeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static NodeProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static NodeProcess Start(IDictionary<string, string> environment, params string[] args) =>
        StartCore(environment, ignoredSignals: null, args);

    /// <summary>Starts the node with <paramref name="workingDirectory"/> as its current directory.</summary>
    public static NodeProcess StartIn(string workingDirectory, params string[] args) =>
        StartCore(new Dictionary<string, string>(), ignoredSignals: null, args, workingDirectory);

    /// <summary>Starts the node with <paramref name="ignoredSignals"/> (e.g. "HUP") ignored, as nohup does.</summary>
    public static NodeProcess StartIgnoring(string ignoredSignals, params string[] args) =>
        StartCore(new Dictionary<string, string>(), ignoredSignals, args);

    /// <summary>
    /// Starts the node through <c>env</c> so that it gets the signal dispositions a shell gives a foreground
    /// process, whatever this test run inherited (under nohup, or as a script's background job, SIGHUP or
    /// SIGINT arrive ignored and would stay so in the node).
    /// </summary>
    private static NodeProcess StartCore(IDictionary<string, string> environment, string? ignoredSignals, string[] args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add(DefaultSignals);
        if (ignoredSignals is not null) info.ArgumentList.Add($"--ignore-signal={ignoredSignals}");
        info.ArgumentList.Add("dotnet");
        // The command host and the admin endpoint on free ports, unless the test says otherwise: parallel nodes never collide on 9110 or 9901.
        info.Environment["DROVER__CMD__BIND"] = "127.0.0.1:0";
        info.Environment["DROVER__ADMIN__BIND"] = "127.0.0.1:0";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        info.ArgumentList.Add(NodeDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return new NodeProcess(Process.Start(info)!);
    }

    /// <summary>The <c>env</c> option that resets the signals a test sends (GNU coreutils 8.31 or later).</summary>
    public const string DefaultSignals = "--default-signal=HUP,INT,QUIT,TERM";

    /// <summary>The Drover.Node.dll built beside this test assembly's configuration.</summary>
    public static string NodeDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) dir = dir.Parent;
            if (dir is null) throw new InvalidOperationException("Cluster.sln not found above the test directory");
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var dll = Path.Combine(dir.FullName, "src", "Drover.Node", "bin", configuration, "net10.0", "Drover.Node.dll");
            if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} not built");
            return dll;
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Stdout.Contains(text))
        {
            if (_process.HasExited) throw new InvalidOperationException($"node exited ({_process.ExitCode}) before printing '{text}':\n{Stdout}\n{Stderr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"node did not print '{text}' within {timeout}:\n{Stdout}\n{Stderr}");
            await Task.Delay(50);
        }
    }

    /// <summary>Peak resident memory (VmHWM) in bytes, from /proc.</summary>
    public long PeakRssBytes => ReadStatus("VmHWM:");
    public long RssBytes => ReadStatus("VmRSS:");

    private long ReadStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith(field))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
        throw new InvalidOperationException($"{field} not in /proc/{_process.Id}/status");
    }

    public void Terminate()
    {
        if (!_process.HasExited) Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

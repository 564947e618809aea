using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Drover.Node.Tests.Support;

/// <summary>
/// Debian's <c>chromium</c> in headless mode, for tests that look at a page as a browser renders it.
/// Each run gets its own throw-away profile (parallel runs never share one) and is killed, with its
/// children, if it overruns.
/// </summary>
public static class HeadlessChromium
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The browser's path, or null when none is installed (then chromium tests are skipped).</summary>
    public static string? Path => Found.Value;

    public const string NotInstalled = "chromium is not installed (apt-get install chromium; .ci/run installs it, CHROMIUM names another), so the stats page cannot be rendered";

    /// <summary><c>CHROMIUM</c> names the browser (a path that does not exist turns these tests off); else the usual places.</summary>
    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } chosen) return File.Exists(chosen) ? chosen : null;
        return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Loads <paramref name="url"/>, lets the page run for <paramref name="virtualTime"/> of virtual time
    /// (timers fire, fetches complete) and returns the DOM as the scripts left it.
    /// </summary>
    public static Task<string> DumpDomAsync(string url, TimeSpan virtualTime) =>
        RunAsync(["--dump-dom", $"--virtual-time-budget={(int)virtualTime.TotalMilliseconds}", url]);

    /// <summary>Renders <paramref name="url"/> after <paramref name="virtualTime"/> into a PNG at <paramref name="path"/>.</summary>
    public static Task ScreenshotAsync(string url, string path, TimeSpan virtualTime, int width = 1400, int height = 900) =>
        RunAsync([$"--screenshot={path}", $"--window-size={width},{height}", "--hide-scrollbars", $"--virtual-time-budget={(int)virtualTime.TotalMilliseconds}", url]);

    private static async Task<string> RunAsync(string[] args)
    {
        var chromium = Path ?? throw new InvalidOperationException(NotInstalled);
        var profile = Directory.CreateTempSubdirectory("drover-chromium-");
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions", $"--user-data-dir={profile.FullName}" }.Concat(args))
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"chromium did not finish within 60 s: {await stderr}");
        }
        finally
        {
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    /// <summary>The text content of the first element with <c>data-field="FIELD"</c> inside <paramref name="html"/>.</summary>
    public static string? Field(string html, string field)
    {
        var match = Regex.Match(html, $"<(\\w+)[^>]*data-field=\"{Regex.Escape(field)}\"[^>]*>(.*?)</\\1>", RegexOptions.Singleline);
        return match.Success ? Regex.Replace(match.Groups[2].Value, "<[^>]+>", "").Trim() : null;
    }

    /// <summary>The table rows (<c>&lt;tr&gt;</c>) whose attributes include every one of <paramref name="attributes"/>.</summary>
    public static IReadOnlyList<string> Rows(string html, params (string Name, string Value)[] attributes) =>
        Regex.Matches(html, "<tr([^>]*)>(.*?)</tr>", RegexOptions.Singleline)
            .Where(m => attributes.All(a => m.Groups[1].Value.Contains($"{a.Name}=\"{a.Value}\"", StringComparison.Ordinal)))
            .Select(m => m.Value)
            .ToList();
}

/// <summary>A fact that needs a headless chromium; skipped, with the reason, when none is installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Path is null) Skip = HeadlessChromium.NotInstalled;
    }
}

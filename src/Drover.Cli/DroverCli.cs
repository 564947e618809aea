using System.Net;
using Drover.Core.Commands;
using Drover.Core.Net;

namespace Drover.Cli;

/// <summary>
/// The <c>drover</c> client: <c>drover [HOST:PORT] PALETTE COMMAND [ARGS]</c> runs one command and
/// exits; <c>drover [HOST:PORT]</c> opens a prompt. The commands come from the node itself.
/// </summary>
public static class DroverCli
{
    public static readonly HostPort DefaultAddress = new("127.0.0.1", 9110);

    /// <param name="target">Everything after the options: an optional address, then a command and its arguments.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> target, string? token, ICliConsole console, CancellationToken cancellationToken = default)
    {
        try
        {
            var (address, words) = SplitTarget(target);
            await using var client = await CommandClient.ConnectAsync(address, string.IsNullOrEmpty(token) ? null : token, cancellationToken);
            return words.Count == 0
                ? await InteractiveAsync(client, console, cancellationToken)
                : await ExecuteAsync(client, words, console);
        }
        catch (CliException ex)
        {
            console.Error.WriteLine($"drover: {ex.Message}");
            return ex.ExitCode;
        }
    }

    /// <summary>
    /// The first word is the node when it looks like an address (has a ':', is an IP or localhost);
    /// otherwise every word is the command and the node is 127.0.0.1:9110, as in
    /// <c>docker exec NODE drover cluster show</c>.
    /// </summary>
    public static (HostPort Address, IReadOnlyList<string> Words) SplitTarget(IReadOnlyList<string> target)
    {
        if (target.Count == 0) return (DefaultAddress, []);
        var first = target[0];
        var colons = first.Count(c => c == ':');
        string text;
        if (first.StartsWith('[') || colons == 1) text = first;
        else if (colons > 1 && IPAddress.TryParse(first, out _)) text = $"[{first}]:{DefaultAddress.Port}";
        else if (IPAddress.TryParse(first, out _) || first.Equals("localhost", StringComparison.OrdinalIgnoreCase)) text = $"{first}:{DefaultAddress.Port}";
        else return (DefaultAddress, target);
        if (!HostPort.TryParse(text, out var address, out var error))
            throw new CliException(ExitCodes.Usage, $"the node's address {error}");
        return (address.Value, target.Skip(1).ToArray());
    }

    /// <summary>Runs one typed command (or <c>help</c>); usage errors and lost connections throw <see cref="CliException"/>.</summary>
    public static async Task<int> ExecuteAsync(CommandClient client, IReadOnlyList<string> words, ICliConsole console)
    {
        if (words[0] == "help")
        {
            HelpText.Write(client.Palettes, words.Skip(1).ToArray(), console.Out);
            return ExitCodes.Ok;
        }
        if (words.Count < 2)
        {
            if (client.Palettes.Find(words[0]) is { } palette)
                throw new CliException(ExitCodes.Usage, $"'{palette.Name}' needs a command ({palette.Name} commands: {string.Join(", ", palette.Commands.Select(c => c.Name))})");
            throw new CliException(ExitCodes.Usage, UnknownPalette(client.Palettes, words[0]));
        }
        if (client.Palettes.Find(words[0]) is null)
            throw new CliException(ExitCodes.Usage, UnknownPalette(client.Palettes, words[0]));
        if (!client.Palettes.TryResolve(words[0], words[1], out var paletteSpec, out var command, out var error))
            throw new CliException(ExitCodes.Usage, error);
        if (!CommandArguments.TryBind(paletteSpec.Name, command, words.Skip(2).ToArray(), out var arguments, out error))
            throw new CliException(ExitCodes.Usage, error);

        using var cancel = new CancellationTokenSource();
        // Ctrl+C ends the command (a stream stops), not the CLI.
        using var interrupt = console.OnInterrupt(() =>
        {
            cancel.Cancel();
            return true;
        });
        var end = await client.RunAsync(paletteSpec.Name, command.Name, arguments, console.Out.Write, cancel.Token);
        await console.Out.FlushAsync();
        if (end.Ok) return ExitCodes.Ok;
        console.Error.WriteLine($"drover: {end.Message}");
        return ExitCodes.CommandFailed;
    }

    public static async Task<int> InteractiveAsync(CommandClient client, ICliConsole console, CancellationToken cancellationToken = default)
    {
        console.Out.WriteLine($"Connected to {client.Welcome.Node} (drover {client.Welcome.Version}). Type 'help' for the commands, 'exit' to leave.");
        var prompt = $"[{client.Address}] drover> ";
        var editor = console.IsTerminal ? new LineEditor(console.ReadKey, console.Out, before => Completions(client.Palettes, before)) : null;
        while (!cancellationToken.IsCancellationRequested)
        {
            string? line;
            if (editor is not null)
            {
                console.ControlCAsInput = true;
                try
                {
                    line = editor.ReadLine(prompt);
                }
                finally
                {
                    console.ControlCAsInput = false;
                }
            }
            else
            {
                console.Out.Write(prompt);
                line = await console.In.ReadLineAsync(cancellationToken);
                // Input from a file or pipe is not echoed by a terminal: show it, so the transcript reads right.
                if (line is not null) console.Out.WriteLine(line);
            }
            if (line is null) return ExitCodes.Ok;
            var text = line.Trim();
            if (text.Length == 0) continue;
            editor?.AddHistory(text);
            if (text is "exit" or "quit") return ExitCodes.Ok;

            if (!CommandLineTokens.TrySplit(text, out var words, out var error))
            {
                console.Error.WriteLine($"drover: {error}");
                continue;
            }
            try
            {
                await ExecuteAsync(client, words, console);
            }
            catch (CliException ex) when (ex.ExitCode is ExitCodes.Usage or ExitCodes.CommandFailed)
            {
                console.Error.WriteLine($"drover: {ex.Message}");
            }
        }
        return ExitCodes.Ok;
    }

    private static string UnknownPalette(PaletteCatalog palettes, string name)
    {
        var message = palettes.UnknownPalette(name);
        // "drover mynode cluster show": a host name without a port reads as a palette.
        return name.Contains('.') || name.All(char.IsAsciiLetterOrDigit) && name.Any(char.IsAsciiDigit)
            ? message + "; to name a node, give HOST:PORT"
            : message;
    }

    /// <summary>What Tab may complete: palettes, then that palette's commands, then the command's switches.</summary>
    public static IReadOnlyList<string> Completions(PaletteCatalog palettes, string before)
    {
        var words = before.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var index = before.Length == 0 || before.EndsWith(' ') ? words.Length : words.Length - 1;
        if (index == 0) return palettes.Palettes.Select(p => p.Name).Append("help").Append("exit").ToArray();
        if (words[0] == "help") return index == 1 ? palettes.Palettes.Select(p => p.Name).ToArray() : [];
        if (palettes.Find(words[0]) is not { } palette) return [];
        if (index == 1) return palette.Commands.Select(c => c.Name).ToArray();
        if (palette.FindCommand(words[1]) is not { } command) return [];
        return command.Arguments.Where(a => !words.Contains($"--{a.Name}") && (a.Short is null || !words.Contains($"-{a.Short}")))
            .Select(a => $"--{a.Name}").ToArray();
    }
}

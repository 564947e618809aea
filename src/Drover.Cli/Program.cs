using System.CommandLine;
using Drover.Cli;

// drover [--token TOKEN] [HOST:PORT] [PALETTE COMMAND [ARGS]]
//   one command:  drover 127.0.0.1:9110 cluster show
//   a prompt:     drover 127.0.0.1:9110
var tokenOption = new Option<string?>("--token")
{
    Description = "the node's drover.cmd.token (default: the DROVER_CMD_TOKEN environment variable)",
};
var target = new Argument<string[]>("command")
{
    Arity = ArgumentArity.ZeroOrMore,
    Description = "[HOST:PORT] [PALETTE COMMAND [ARGS]]: the node (default 127.0.0.1:9110) and a command; without a command, a prompt opens",
};
var root = new RootCommand("drover: operate a Drover node through its command host (the commands come from the node; try 'help')")
{
    tokenOption,
    target,
};
root.SetAction((parse, cancellationToken) => DroverCli.RunAsync(
    parse.GetValue(target) ?? [],
    parse.GetValue(tokenOption) ?? Environment.GetEnvironmentVariable("DROVER_CMD_TOKEN"),
    SystemConsole.Instance,
    cancellationToken));

// No process-termination timeout: Ctrl+C ends a running command (the CLI handles it), not the process.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

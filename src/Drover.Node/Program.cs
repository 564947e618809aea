using System.CommandLine;
using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Node.Demo;
using Drover.Node.Hosting;

// drover node:   Drover.Node [--config FILE]
// demo backend:  Drover.Node demo-backend --bind 127.0.0.1:9001 --id b1
var configOption = new Option<string?>("--config", "-c") { Description = "HOCON file (default: ./akka.hocon, else the one beside the executable)" };
var root = new RootCommand("Drover: a clustered L4/L7 load balancer on Akka.NET") { configOption };
root.SetAction((parse, cancel) => NodeCommand.RunAsync(parse.GetValue(configOption), cancel));

var bindOption = new Option<string>("--bind") { Description = "address to listen on, host:port", Required = true };
var idOption = new Option<string>("--id") { Description = "backend id, shown in every answer", Required = true };
var demo = new Command("demo-backend", "run a standalone demo backend") { bindOption, idOption };
demo.SetAction((parse, cancel) => NodeCommand.RunDemoBackendAsync(parse.GetValue(bindOption)!, parse.GetValue(idOption)!, cancel));
root.Subcommands.Add(demo);

return await root.Parse(args).InvokeAsync();

internal static class NodeCommand
{
    public const int ExitConfigError = 2;

    public static async Task<int> RunAsync(string? configPath, CancellationToken cancellationToken)
    {
        DroverNode node;
        try
        {
            var config = ConfigLoader.Load(configPath);
            Console.WriteLine($"drover: config {config.Source}");
            node = await DroverNode.StartAsync(config, cancellationToken: cancellationToken);
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine($"drover: {ex.Message}");
            return ExitConfigError;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"drover: could not start: {ex.GetBaseException().Message}");
            return 1;
        }

        var engine = Drover.Node.Listeners.Http.HttpListenerServer.EngineFor(node.Config.Drover.Io.Engine).ToString().ToLowerInvariant();
        foreach (var listener in node.Config.Drover.Listeners)
            Console.WriteLine($"drover: {listener.Mode.ToString().ToLowerInvariant()} listener {listener.Name} on {node.Runtime.Listeners[listener.Name]} ({engine} engine)");
        if (node.Commands.EndPoint is { } cmd)
            Console.WriteLine($"drover: command host on {cmd} (drover {cmd} cluster show)");
        if (node.Admin.EndPoint is { } admin)
            Console.WriteLine($"drover: admin endpoint on http://{admin} (/metrics, /healthz, /readyz, /stats)");
        if (node.Config.Drover.Cmd is { Enabled: true, FaultInjection: true })
            Console.WriteLine("drover: fault injection is on (drover.cmd.fault-injection): the fault palette can cut this node off; for drills only");
        await node.Host.WaitForShutdownAsync(CancellationToken.None);
        await node.DisposeAsync();
        if (node.ExitCode == DroverNode.ExitDownedByCluster)
            Console.Error.WriteLine("drover: this node was downed by the cluster; exiting with code 3 so that a supervisor restarts it");
        return node.ExitCode;
    }

    public static async Task<int> RunDemoBackendAsync(string bind, string id, CancellationToken cancellationToken)
    {
        if (!HostPort.TryParse(bind, out var address, out var error, allowPortZero: true))
        {
            Console.Error.WriteLine($"drover: --bind {error}");
            return ExitConfigError;
        }
        await using var backend = await DemoBackend.StartAsync(id, address.Value);
        Console.WriteLine($"drover: demo backend {id} listening on http://{backend.EndPoint}");
        try
        {
            // SIGTERM reaches the backend's own host lifetime, not this token: wait for either.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, backend.Stopping);
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}

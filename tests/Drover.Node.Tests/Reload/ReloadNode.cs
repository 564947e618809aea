using System.Net;
using Drover.Node.Hosting;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Tests.Reload;

/// <summary>
/// An in-process node started from a config file (as <c>--config</c> does), so that <c>lb reload</c>,
/// the file watcher and the reloader read the file again. <see cref="WriteAsync"/> replaces the
/// file's drover section; the test's command host, admin and akka settings stay around it.
/// </summary>
public sealed class ReloadNode : IAsyncDisposable
{
    private readonly string _directory;

    private ReloadNode(string directory, DroverNode node)
    {
        _directory = directory;
        Node = node;
    }

    public DroverNode Node { get; }
    public string File => Path.Combine(_directory, "drover.hocon");
    public IPEndPoint Commands => Node.Commands.EndPoint!;
    public PoolHandle Pool(string name) => Node.Runtime.Pools[name];
    public IPEndPoint Listener(string name) => Node.Runtime.ListenerEndPoint(name);

    /// <param name="drover">The drover section; <c>drover.reload.watch</c> is off unless the test turns it on.</param>
    public static async Task<ReloadNode> StartAsync(string drover, TimeSpan? drain = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"drover-reload-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "drover.hocon");
        await System.IO.File.WriteAllTextAsync(path, Text(drover));
        // No environment overrides: the test's file is all there is.
        var loaded = ConfigLoader.Load(path, new System.Collections.Hashtable());
        // No ready delay (no balancer polls these nodes) and a short drain, as TestNode's nodes.
        var config = loaded with { Drover = loaded.Drover with { Shutdown = new Drover.Core.Configuration.ShutdownConfig(TimeSpan.Zero, drain ?? TimeSpan.FromSeconds(5)) } };
        var node = await DroverNode.StartAsync(config, logging => logging.SetMinimumLevel(LogLevel.Warning));
        return new ReloadNode(directory, node);
    }

    /// <summary>Replaces the file (atomically, by rename, as editors and config management do).</summary>
    /// <param name="akka">Appended after the test's akka settings (to change them).</param>
    public async Task WriteAsync(string drover, string akka = "")
    {
        var temp = Path.Combine(_directory, $"next-{Guid.NewGuid():N}.tmp");
        await System.IO.File.WriteAllTextAsync(temp, Text(drover) + akka + "\n");
        System.IO.File.Move(temp, File, overwrite: true);
    }

    /// <summary>Writes the file and runs <c>drover HOST:PORT lb reload</c> against the node.</summary>
    public async Task<CliRunner.Result> ReloadAsync(string drover, string akka = "")
    {
        await WriteAsync(drover, akka);
        return await CliRunner.RunAsync(Commands, "lb reload");
    }

    private static string Text(string drover) =>
        $"{TestNode.CmdForTests}\n{TestNode.AdminForTests}\ndrover.reload.watch = off\n{drover}\n{TestNode.AkkaForTests}\n";

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

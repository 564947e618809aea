using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Drover.Core.Configuration;

namespace Drover.Node.Commands;

/// <summary>
/// The command host (<c>/user/cmd</c>): binds <c>drover.cmd.bind</c>, accepts clients in a loop off
/// the actor, and runs one <see cref="CommandSessionActor"/> per client. On <see cref="CommandHostProtocol.Stop"/>
/// (CoordinatedShutdown) it stops accepting, ends every session and answers once they are gone.
/// </summary>
public sealed class CommandHostActor : ReceiveActor
{
    /// <summary>More clients than this at once are turned away: the host is for operators, not for load.</summary>
    public const int MaxSessions = 32;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CmdConfig _config;
    private readonly CommandCatalog _catalog;
    private readonly IActorRegistry _registry;
    private readonly CommandHostRuntime _runtime;
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _version = VersionOf(typeof(CommandHostActor).Assembly);
    private readonly List<IActorRef> _stopRequesters = new();
    private Socket? _listener;
    private long _sessions;

    public CommandHostActor(CmdConfig config, CommandCatalog catalog, IActorRegistry registry, CommandHostRuntime runtime)
    {
        _config = config;
        _catalog = catalog;
        _registry = registry;
        _runtime = runtime;

        Receive<CommandHostProtocol.Accepted>(accepted =>
        {
            if (Context.GetChildren().Count() >= MaxSessions)
            {
                _ = CommandConnection.RejectAsync(accepted.Socket, $"too many clients (at most {MaxSessions} at once)");
                return;
            }
            var session = Context.ActorOf(CommandSessionActor.Props(accepted.Socket, _config, _catalog, _registry, _version), $"session-{++_sessions}");
            Context.Watch(session);
        });
        Receive<CommandHostProtocol.Stop>(_ =>
        {
            StopAccepting();
            _stopRequesters.Add(Sender);
            foreach (var child in Context.GetChildren()) child.Tell(CommandHostProtocol.Shutdown.Instance);
            Become(Stopping);
            StopWhenIdle();
        });
        Receive<Terminated>(_ => { });
    }

    private void Stopping()
    {
        Receive<CommandHostProtocol.Accepted>(accepted => accepted.Socket.Dispose());
        Receive<CommandHostProtocol.Stop>(_ => _stopRequesters.Add(Sender));
        Receive<Terminated>(_ => StopWhenIdle());
    }

    private void StopWhenIdle()
    {
        if (Context.GetChildren().Any()) return;
        foreach (var requester in _stopRequesters) requester.Tell(CommandHostProtocol.Stopped.Instance);
        Context.Stop(Self);
    }

    protected override void PreStart()
    {
        var endPoint = (IPEndPoint)_config.Bind.ToEndPoint();
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Binding and listening return at once; only accepting waits, and that runs off the actor.
            listener.Bind(endPoint);
            listener.Listen(MaxSessions);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            var reason = ex.SocketErrorCode == SocketError.AddressAlreadyInUse ? $"{endPoint} is already in use" : $"{endPoint} cannot be bound ({ex.SocketErrorCode})";
            _log.Error("command host: {0}", reason);
            _runtime.MarkFailed(reason);
            Context.Stop(Self);
            return;
        }
        _listener = listener;
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        _log.Info("command host listening on {0}{1}", bound, _config.RequiresToken ? " (token required)" : "");
        _runtime.MarkBound(bound);
        _ = AcceptLoopAsync(listener, Self, _stopping.Token);
    }

    protected override void PostStop() => StopAccepting();

    private void StopAccepting()
    {
        _stopping.Cancel();
        _listener?.Dispose();
        _listener = null;
    }

    private static async Task AcceptLoopAsync(Socket listener, IActorRef host, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A client that reset before we took it, or no descriptors left: wait a moment, go on.
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            client.NoDelay = true;
            host.Tell(new CommandHostProtocol.Accepted(client));
        }
    }

    internal static string VersionOf(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = version.IndexOf('+');
        return plus < 0 ? version : version[..plus];
    }

    public static Props Props(CmdConfig config, CommandCatalog catalog, IActorRegistry registry, CommandHostRuntime runtime) =>
        Akka.Actor.Props.Create(() => new CommandHostActor(config, catalog, registry, runtime));
}

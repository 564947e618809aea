using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Drover.Core.Commands;
using Drover.Core.Configuration;

namespace Drover.Node.Commands;

/// <summary>
/// One client connection: checks the hello (protocol version, token), sends the palettes, then runs
/// the client's commands one at a time. A command runs on the thread pool and its result comes
/// back through PipeTo; its output goes straight to the connection's outbox. All socket I/O lives
/// in <see cref="CommandConnection"/>.
/// </summary>
internal sealed class CommandSessionActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CommandConnection _connection;
    private readonly CmdConfig _config;
    private readonly CommandCatalog _catalog;
    private readonly IActorRegistry _registry;
    private readonly string _version;
    private (long Id, CancellationTokenSource Cancel)? _running;
    private bool _closing;
    private bool _shuttingDown;

    public CommandSessionActor(Socket socket, CmdConfig config, CommandCatalog catalog, IActorRegistry registry, string version)
    {
        _connection = new CommandConnection(socket);
        _config = config;
        _catalog = catalog;
        _registry = registry;
        _version = version;
        AwaitingHello();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void AwaitingHello()
    {
        Receive<CommandHostProtocol.FrameReceived>(received =>
        {
            _connection.Processed();
            if (received.Frame is CommandFrames.Hello hello) OnHello(hello);
            else Violate("the first frame must be a hello");
        });
        Receive<HelloTimedOut>(_ => Violate($"no hello within {HelloTimeout.TotalSeconds:0} s"));
        Closing();
    }

    private void Ready()
    {
        Receive<CommandHostProtocol.FrameReceived>(received =>
        {
            _connection.Processed();
            switch (received.Frame)
            {
                case CommandFrames.Run run:
                    OnRun(run);
                    break;
                case CommandFrames.Cancel cancel:
                    if (_running is { } r && r.Id == cancel.Id) _ = r.Cancel.CancelAsync();
                    break;
                default:
                    Violate("hello was already sent");
                    break;
            }
        });
        Receive<CommandHostProtocol.CommandCompleted>(completed =>
        {
            _connection.Send(new CommandFrames.End(completed.Id, completed.Result.Ok, completed.Result.Message));
            _running = null;
            if (_closing) Finish();
        });
        Closing();
    }

    /// <summary>What every state does when the client goes away or the node stops.</summary>
    private void Closing()
    {
        Receive<CommandHostProtocol.ConnectionClosed>(closed =>
        {
            // A broken protocol is told why and cut at once; a client that left just lets its command end.
            if (closed.Violation) Violate(closed.Reason);
            else BeginClosing();
        });
        Receive<CommandHostProtocol.Shutdown>(_ =>
        {
            _shuttingDown = true;
            BeginClosing();
        });
        Receive<CancelGraceOver>(_ => Finish());
    }

    private void OnHello(CommandFrames.Hello hello)
    {
        Timers.Cancel(nameof(HelloTimedOut));
        if (hello.Protocol != CommandFrames.ProtocolVersion)
        {
            Violate($"protocol version {hello.Protocol} is not supported (this node speaks {CommandFrames.ProtocolVersion})");
            return;
        }
        if (!CommandToken.Accepts(_config.Token, hello.Token))
        {
            var reason = string.IsNullOrEmpty(hello.Token) ? "this node requires a token (--token or DROVER_CMD_TOKEN)" : "bad token";
            _log.Warning("command client {0} refused: {1}", _connection.Remote, reason);
            _connection.Send(new CommandFrames.Denied(reason));
            Finish();
            return;
        }
        var node = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
        _connection.Send(new CommandFrames.Welcome(CommandFrames.ProtocolVersion, node, _version, _catalog.Specs.Palettes));
        Become(Ready);
    }

    private void OnRun(CommandFrames.Run run)
    {
        if (_closing) return;
        if (_running is { } busy)
        {
            _connection.Send(new CommandFrames.End(run.Id, false, $"command {busy.Id} is still running on this connection; cancel it first"));
            return;
        }
        if (!_catalog.Specs.TryResolve(run.Palette ?? "", run.Command ?? "", out _, out var command, out var error))
        {
            _connection.Send(new CommandFrames.End(run.Id, false, error));
            return;
        }
        var arguments = run.Args ?? new Dictionary<string, string>();
        if (!CommandArguments.Validate(run.Palette!, command, arguments, out error))
        {
            _connection.Send(new CommandFrames.End(run.Id, false, error));
            return;
        }

        _log.Info("command client {0}: {1} {2}{3}", _connection.Remote, run.Palette, run.Command,
            string.Concat(arguments.Select(a => $" --{a.Key} {a.Value}")));
        var palette = _catalog.Find(run.Palette!)!;
        var request = new CommandRequest(run.Palette!, run.Command!, arguments);
        var context = new CommandContext(Context.System, _registry, run.Id, _connection.Send);
        var cancel = new CancellationTokenSource();
        _running = (run.Id, cancel);
        var id = run.Id;
        var streaming = command.Streaming;
        // CancelAsync (above) runs the command's cancellation callbacks on the thread pool, and
        // Task.Run: not even the palette's synchronous first part runs on this actor's thread.
        Task.Run(() => CommandRunner.RunAsync(palette, request, context, streaming, cancel.Token))
            .PipeTo(Self, success: result => new CommandHostProtocol.CommandCompleted(id, result),
                failure: ex => new CommandHostProtocol.CommandCompleted(id, CommandResult.Fail(ex.GetBaseException().Message)));
    }

    private void Violate(string reason)
    {
        _log.Warning("command client {0}: {1}", _connection.Remote, reason);
        _connection.Send(new CommandFrames.Error(reason));
        Finish();
    }

    /// <summary>Cancels the running command and closes once it has ended (or after a grace period).</summary>
    private void BeginClosing()
    {
        if (_closing) return;
        _closing = true;
        if (_running is not { } running)
        {
            Finish();
            return;
        }
        _ = running.Cancel.CancelAsync();
        Timers.StartSingleTimer(nameof(CancelGraceOver), CancelGraceOver.Instance, CancelGrace);
    }

    private void Finish()
    {
        if (_shuttingDown) _connection.Send(new CommandFrames.Error("the node is shutting down"));
        _connection.Close();
        Context.Stop(Self);
    }

    protected override void PreStart()
    {
        _connection.Start(Self);
        Timers.StartSingleTimer(nameof(HelloTimedOut), HelloTimedOut.Instance, HelloTimeout);
    }

    protected override void PostStop()
    {
        if (_running is { } running) _ = running.Cancel.CancelAsync();
        _connection.Close();
    }

    private sealed record HelloTimedOut
    {
        public static readonly HelloTimedOut Instance = new();
    }

    private sealed record CancelGraceOver
    {
        public static readonly CancelGraceOver Instance = new();
    }

    public static Props Props(Socket socket, CmdConfig config, CommandCatalog catalog, IActorRegistry registry, string version) =>
        Akka.Actor.Props.Create(() => new CommandSessionActor(socket, config, catalog, registry, version));
}

using Akka.Actor;
using Akka.Event;

namespace Drover.Node.Listeners;

/// <summary>
/// Owns one listening endpoint's lifecycle: bind on start, report the bound address to its parent,
/// unbind (stop accepting, drain) on request, and close whatever is left when it stops. The socket
/// work runs in the <see cref="IListenerServer"/>; this actor never blocks on it.
/// </summary>
public sealed class ListenerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _name;
    private readonly IListenerServer _server;
    private readonly CancellationTokenSource _stopping = new();

    public ListenerActor(string name, IListenerServer server)
    {
        _name = name;
        _server = server;

        Receive<Started>(started =>
        {
            _log.Info("listener {0} bound to {1} ({2} engine)", _name, started.EndPoint, _server.Engine);
            Context.Parent.Tell(new ListenerProtocol.Bound(_name, started.EndPoint));
        });
        Receive<Status.Failure>(failure =>
        {
            var reason = failure.Cause.GetBaseException().Message;
            _log.Error("listener {0} could not bind: {1}", _name, reason);
            Context.Parent.Tell(new ListenerProtocol.BindFailed(_name, reason));
            Context.Stop(Self);
        });
        Receive<ListenerProtocol.Reroute>(reroute =>
        {
            _server.Reroute(reroute.Routes);
            Sender.Tell(ListenerProtocol.Rerouted.Instance);
        });
        Receive<ListenerProtocol.Unbind>(unbind =>
        {
            var replyTo = Sender;
            var name = _name;
            _server.StopAsync(unbind.Drain).PipeTo(replyTo, Self,
                success: () => new ListenerProtocol.Unbound(name),
                failure: _ => new ListenerProtocol.Unbound(name));
            Become(Unbinding);
        });
    }

    private void Unbinding()
    {
        Receive<Started>(_ => { });
        Receive<ListenerProtocol.Unbind>(_ => { });
        Receive<ListenerProtocol.Reroute>(_ => Sender.Tell(ListenerProtocol.Rerouted.Instance)); // going away: nothing to route
    }

    protected override void PreStart()
    {
        _server.StartAsync(_stopping.Token).PipeTo(Self, Self, endPoint => new Started(endPoint));
    }

    protected override void PostStop()
    {
        // Closing sockets does not block; anything still open is cut here (an orderly drain came through Unbind).
        _stopping.Cancel();
        _ = _server.DisposeAsync().AsTask();
        _stopping.Dispose();
    }

    private sealed record Started(System.Net.EndPoint EndPoint);

    public static Props Props(string name, IListenerServer server) =>
        Akka.Actor.Props.Create(() => new ListenerActor(name, server));
}

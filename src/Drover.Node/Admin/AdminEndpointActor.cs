using System.Net;
using Akka.Actor;
using Akka.Event;

namespace Drover.Node.Admin;

/// <summary>
/// Owns the admin endpoint's lifecycle (<c>/user/admin</c>): starts the <see cref="AdminServer"/>
/// without blocking, reports the bound address (or the bind error) on <see cref="AdminRuntime"/>, stops
/// it on <see cref="AdminProtocol.Stop"/> and disposes it when the actor stops.
/// </summary>
public sealed class AdminEndpointActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AdminServer _server;
    private readonly AdminRuntime _runtime;
    private readonly CancellationTokenSource _stopping = new();

    public AdminEndpointActor(AdminServer server, AdminRuntime runtime)
    {
        _server = server;
        _runtime = runtime;

        Receive<Started>(started =>
        {
            _log.Info("admin endpoint listening on http://{0} (/metrics, /healthz, /readyz, /stats)", started.EndPoint);
            _runtime.MarkBound(started.EndPoint);
        });
        Receive<Status.Failure>(failure =>
        {
            var reason = failure.Cause.GetBaseException().Message;
            _log.Error("admin endpoint could not bind: {0}", reason);
            _runtime.MarkFailed(reason);
            Context.Stop(Self);
        });
        Receive<AdminProtocol.Stop>(_ =>
        {
            _server.StopAsync().PipeTo(Sender, Self,
                success: () => AdminProtocol.Stopped.Instance,
                failure: _ => AdminProtocol.Stopped.Instance);
        });
    }

    protected override void PreStart() =>
        _server.StartAsync(_stopping.Token).PipeTo(Self, Self, endPoint => new Started(endPoint));

    protected override void PostStop()
    {
        _stopping.Cancel();
        _ = _server.DisposeAsync().AsTask();
        _stopping.Dispose();
    }

    private sealed record Started(IPEndPoint EndPoint);

    public static Props Props(AdminServer server, AdminRuntime runtime) =>
        Akka.Actor.Props.Create(() => new AdminEndpointActor(server, runtime));
}

using Akka.Actor;
using Akka.Cluster;
using Drover.Node.LoadBalancing;

namespace Drover.Node.Admin;

/// <summary>
/// Whether this node should receive traffic (<c>/readyz</c>): every listener bound, this member Up in
/// the cluster, when a pool is sticky its sessions able to answer (<see cref="Sessions.SessionService.IsReady"/>),
/// and no shutdown under way. The answer names the first condition that fails.
/// </summary>
public sealed class Readiness(DroverRuntime runtime, AdminRuntime admin, ActorSystem system)
{
    public readonly record struct Result(bool Ready, string Reason);

    public Result Check()
    {
        if (admin.ShuttingDown || CoordinatedShutdown.Get(system).ShutdownReason is not null)
            return new Result(false, "shutting down");
        var ready = runtime.Ready;
        if (ready.IsFaulted) return new Result(false, $"a listener failed to bind: {ready.Exception!.GetBaseException().Message}");
        if (!ready.IsCompletedSuccessfully) return new Result(false, "listeners not bound yet");
        var status = Cluster.Get(system).SelfMember.Status;
        if (status != MemberStatus.Up) return new Result(false, $"cluster member status is {StatusName(status)}, not up");
        // A sticky pool needs owners that answer, or this node would hash sessions bound elsewhere.
        if (runtime.Sessions is { IsReady: false } sessions && runtime.Pools.Values.Any(pool => pool.Sessions is not null))
            return new Result(false, $"sticky sessions not ready: {sessions.NotReadyReason}");
        return new Result(true, "ready");
    }

    /// <summary>Akka's member status in the lower-case, dashed form the CLI and the stats page show.</summary>
    public static string StatusName(MemberStatus status) => status switch
    {
        MemberStatus.WeaklyUp => "weakly-up",
        _ => status.ToString().ToLowerInvariant(),
    };
}

namespace Drover.Core.Health;

/// <summary>One change of a backend's health status, reported once, with a reason fit for a log line.</summary>
public sealed record HealthTransition(BackendHealthStatus From, BackendHealthStatus To, string Reason)
{
    public override string ToString() => $"{From} -> {To}: {Reason}";
}

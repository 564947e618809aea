namespace Drover.Node.Health;

/// <summary>Told by a HealthCheckActor to its pool actor after every probe.</summary>
public sealed record ProbeResult(int Ordinal, string BackendId, bool Ok, string Detail, TimeSpan Elapsed);

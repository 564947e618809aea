namespace Drover.Node.Health;

/// <summary>
/// The outcome of one active health probe, told by a <see cref="HealthCheckActor"/> to the actor
/// it reports to after every probe. Rise/fall hysteresis is the receiver's business, not the prober's.
/// </summary>
/// <param name="Ordinal">The backend's position in its pool (<c>Backend.Ordinal</c>).</param>
/// <param name="BackendId">The backend's configured id.</param>
/// <param name="Ok">True for a good check.</param>
/// <param name="Detail">What happened, in a few words: "status 200", "connect refused", "timeout after 1s".</param>
/// <param name="Elapsed">From the start of the probe to its verdict.</param>
public sealed record ProbeResult(int Ordinal, string BackendId, bool Ok, string Detail, TimeSpan Elapsed);

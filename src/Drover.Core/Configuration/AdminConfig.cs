using Drover.Core.Net;

namespace Drover.Core.Configuration;

/// <summary>
/// The admin HTTP endpoint (<c>drover.admin</c>): Prometheus <c>/metrics</c>, <c>/healthz</c>,
/// <c>/readyz</c> and the live <c>/stats</c> page. Read-only, so it needs no token; bind it where
/// your scraper (and only it) can reach.
/// </summary>
public sealed record AdminConfig(bool Enabled, HostPort Bind)
{
    public const int DefaultPort = 9901;

    public static readonly AdminConfig Default = new(true, new HostPort("127.0.0.1", DefaultPort));
}

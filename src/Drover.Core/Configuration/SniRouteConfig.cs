namespace Drover.Core.Configuration;

/// <summary>One <c>sni-routes</c> entry: a server name (exact or <c>*.suffix</c>) and the pool it goes to.</summary>
public sealed record SniRouteConfig(string ServerName, string Pool);

namespace Drover.Core.Tls;

/// <summary>
/// Result of <see cref="ClientHelloParser.Parse"/>. <see cref="ServerName"/> is set only for
/// <see cref="ClientHelloStatus.Complete"/> (and may still be null when the client sent no SNI);
/// <see cref="Error"/> is set only for <see cref="ClientHelloStatus.Invalid"/>.
/// </summary>
public readonly record struct ClientHelloResult(ClientHelloStatus Status, string? ServerName, string? Error)
{
    public static ClientHelloResult Complete(string? serverName) => new(ClientHelloStatus.Complete, serverName, null);

    public static ClientHelloResult NeedMore => new(ClientHelloStatus.NeedMoreData, null, null);

    public static ClientHelloResult Invalid(string reason) => new(ClientHelloStatus.Invalid, null, reason);
}

namespace Drover.Core.Sessions;

/// <summary>A verified session cookie: the session id (the sticky key), the backend it named when issued, and when.</summary>
public readonly record struct SessionCookie(string SessionId, string Hint, long IssuedAtSeconds)
{
    public DateTimeOffset IssuedAt => DateTimeOffset.FromUnixTimeSeconds(IssuedAtSeconds);
}

namespace Drover.Core.Sessions;

/// <summary>What a pool's sticky sessions are keyed on: <c>sticky.mode</c>.</summary>
public enum StickyMode
{
    /// <summary>No stickiness: every request is balanced on its own.</summary>
    Off,

    /// <summary>Drover issues a signed session cookie (<c>cookie-name</c>) and keys on its session id.</summary>
    Cookie,

    /// <summary>The value of request header NAME.</summary>
    Header,

    /// <summary>The client's address; the only mode a TCP listener can use.</summary>
    ClientIp,

    /// <summary>Cookie NAME set by a backend: its value is bound to the backend that set it (HAProxy's <c>stick store-response</c>).</summary>
    LearnCookie,
}

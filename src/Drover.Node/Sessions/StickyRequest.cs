using System.Net;
using Drover.Core.Balancing;
using Drover.Core.Pools;
using Drover.Core.Sessions;
using Drover.Node.Listeners.Http;
using Drover.Node.Pools;
using Microsoft.AspNetCore.Http;

namespace Drover.Node.Sessions;

/// <summary>
/// What stickiness means for one HTTP request or TCP connection of a sticky pool: its key, the
/// backend the session is bound to, and the backends tried, so a bound backend that failed is not
/// tried again. HTTP responses get the session cookie (cookie mode) or teach the binding of a cookie
/// the backend set (learn-cookie), in <see cref="HttpResponse.OnStarting(Func{object, Task}, object)"/>,
/// when the backend that answered is known.
/// </summary>
/// <remarks>Only requests of sticky pools create one; the fast path hands those to this (full) pipeline.</remarks>
public sealed class StickyRequest
{
    private readonly PoolSessions _sessions;
    private HttpContext? _context;
    private SessionCookie? _cookie;
    private ulong _tried;
    private Backend? _attempt;

    private StickyRequest(PoolSessions sessions) => _sessions = sessions;

    /// <summary>The sticky key (cookie mode: the session id); null when the request has none.</summary>
    public string? Key { get; private set; }

    /// <summary>The backend the session is bound to, if any; the first attempt goes there.</summary>
    public Backend? Bound { get; private set; }

    public static async ValueTask<StickyRequest> ForHttpAsync(PoolSessions sessions, HttpContext context, PoolSnapshot snapshot)
    {
        var sticky = new StickyRequest(sessions) { _context = context };
        var config = sessions.Config;
        var headers = new RequestHeaders(context.Request.Headers);
        var address = config.Mode == StickyMode.ClientIp ? ClientAddress(context.Connection.RemoteIpAddress) : "";
        Backend? hint = null;
        if (StickyKeys.TryRead(config, ref headers, address, out var raw))
        {
            if (config.Mode != StickyMode.Cookie) sticky.Key = raw.ToString();
            else if (sessions.Service.Codec?.TryDecode(sessions.Name, raw, out var cookie) == true)
            {
                sticky._cookie = cookie;
                sticky.Key = cookie.SessionId;
                hint = snapshot.Find(cookie.Hint);
            }
        }
        if (config.Mode is StickyMode.Cookie or StickyMode.LearnCookie)
            context.Response.OnStarting(static state => ((StickyRequest)state).OnResponseStarting(), sticky);
        if (sticky.Key is not null)
            sticky.Bound = await sessions.ResolveAsync(sticky.Key, snapshot, hint, lookupOnly: config.Mode == StickyMode.LearnCookie).ConfigureAwait(false);
        return sticky;
    }

    public static async ValueTask<StickyRequest> ForTcpAsync(PoolSessions sessions, IPAddress? client, PoolSnapshot snapshot)
    {
        var sticky = new StickyRequest(sessions);
        if (sessions.Config.Mode == StickyMode.ClientIp && client is not null)
        {
            sticky.Key = ClientAddress(client);
            sticky.Bound = await sessions.ResolveAsync(sticky.Key, snapshot).ConfigureAwait(false);
        }
        return sticky;
    }

    /// <summary>
    /// A slot on the bound backend if it was not tried yet (waiting in the queue while it is full),
    /// else the pool's normal pick. The caller counts the attempt with <see cref="OnAttempt"/>.
    /// </summary>
    public async ValueTask<Acquired> AcquireAsync(PoolSnapshot snapshot, PickContext pick, CancellationToken cancellationToken)
    {
        if (Bound is { } bound && !WasTried(bound))
        {
            var acquired = await _sessions.AcquireAsync(snapshot, bound, cancellationToken).ConfigureAwait(false);
            if (acquired.Backend is not null || acquired.Failure != AcquireFailure.NoBackend) return acquired;
            Bound = null; // it stopped keeping sessions while we waited
        }
        return await _sessions.Pool.AcquireAsync(snapshot, pick, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The backend this attempt goes to (null after a failed attempt: no cookie names a backend that failed).</summary>
    public void OnAttempt(Backend? backend)
    {
        _attempt = backend;
        if (backend is not null && (uint)backend.Ordinal < 64) _tried |= 1UL << backend.Ordinal;
    }

    /// <summary>A backend refused the connection: if it was the session's, the owner rebinds the session and the next attempt goes to the new backend.</summary>
    public async ValueTask OnConnectFailedAsync(Backend failed, PoolSnapshot snapshot)
    {
        _attempt = null;
        if (Key is null || !ReferenceEquals(failed, Bound)) return;
        Bound = await _sessions.RebindAsync(Key, failed, snapshot).ConfigureAwait(false);
    }

    private bool WasTried(Backend backend) => (uint)backend.Ordinal < 64 && (_tried & (1UL << backend.Ordinal)) != 0;

    private Task OnResponseStarting()
    {
        if (_attempt is not { } backend || _context is not { } context) return Task.CompletedTask;
        if (_sessions.Config.Mode == StickyMode.Cookie)
        {
            IssueCookie(context, backend);
            return Task.CompletedTask;
        }
        return LearnCookieAsync(context, backend);
    }

    /// <summary>
    /// Cookie mode: a request without a valid cookie starts a session on the backend that answered;
    /// a cookie naming another backend (the session moved) or issued more than ttl/4 ago (its Max-Age
    /// runs out) is issued again.
    /// </summary>
    private void IssueCookie(HttpContext context, Backend backend)
    {
        var config = _sessions.Config;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var ttl = (long)config.Ttl.TotalSeconds;
        if (_cookie is { } cookie && cookie.Hint == backend.Id && now - cookie.IssuedAtSeconds < ttl / 4) return;
        if (_sessions.Service.Codec is not { } codec) return;
        if (Key is null)
        {
            Key = SessionCookieCodec.NewSessionId();
            _sessions.Bind(Key, backend);
        }
        var value = codec.Encode(_sessions.Name, Key, backend.Id, now);
        var secure = context.Request.IsHttps ? "; Secure" : "";
        context.Response.Headers.Append("Set-Cookie", $"{config.CookieName}={value}; Path=/; Max-Age={ttl}; HttpOnly; SameSite=Lax{secure}");
    }

    /// <summary>
    /// Learn-cookie: a response that sets cookie NAME binds its value to the backend that set it,
    /// before the response goes out (one owner round trip, on the responses that set it only), so the
    /// client's next request finds the binding through whichever node it comes.
    /// </summary>
    private Task LearnCookieAsync(HttpContext context, Backend backend)
    {
        var name = _sessions.Config.Name!;
        string? learned = null;
        foreach (var header in context.Response.Headers.SetCookie)
        {
            if (header is null || !CookieHeader.TryParseSetCookie(header, DateTimeOffset.UtcNow, out var cookieName, out var value, out var deletes)) continue;
            if (deletes || value.IsEmpty || !cookieName.SequenceEqual(name)) continue;
            if (_sessions.Cache.TryGet(value, out var known) && ReferenceEquals(known.Backend, backend) && !known.Provisional) continue;
            learned = value.ToString();
        }
        return learned is null ? Task.CompletedTask : _sessions.BindAndWaitAsync(learned, backend);
    }

    private static string ClientAddress(IPAddress? address)
    {
        if (address is null) return "";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.ToString();
    }
}

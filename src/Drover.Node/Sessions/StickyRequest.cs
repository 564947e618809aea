using System.Net;
using System.Text;
using Drover.Core.Balancing;
using Drover.Core.Pools;
using Drover.Core.Routing;
using Drover.Core.Sessions;
using Drover.Node.Listeners.Http;
using Drover.Node.Pools;
using Microsoft.AspNetCore.Http;

namespace Drover.Node.Sessions;

/// <summary>
/// What stickiness means for one HTTP request or TCP connection of a sticky pool: its key, the
/// backend the session is bound to, and the backends tried, so a bound backend that failed is not
/// tried again. HTTP responses get the session cookie (cookie mode) or teach the binding of a cookie
/// the backend set (learn-cookie). The full pipeline makes one per request; the HTTP/1.1 fast path
/// keeps one per connection and starts it over for each request, so a cached session costs it no
/// allocation (the key is copied into a buffer the connection keeps, a cookie is verified once per
/// connection and value).
/// </summary>
public sealed class StickyRequest
{
    private PoolSessions _sessions;
    private HttpContext? _context;
    private SessionCookie? _cookie;
    private ulong _tried;
    private Backend? _attempt;
    private string? _key;
    private char[]? _keyBuffer;
    private int _keyLength;
    private ValueTask<Backend?> _pending;
    private bool _hasPending;
    private string? _clientAddress;
    private string? _lastCookieValue;
    private SessionCookie? _lastCookie;

    internal StickyRequest(PoolSessions sessions) => _sessions = sessions;

    /// <summary>The sticky key (cookie mode: the session id); null when the request has none.</summary>
    public string? Key => _key ??= _keyLength > 0 ? new string(_keyBuffer!, 0, _keyLength) : null;

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
            if (config.Mode != StickyMode.Cookie) sticky._key = raw.ToString();
            else if (sessions.Service.Codec?.TryDecode(sessions.Name, raw, out var cookie) == true)
            {
                sticky._cookie = cookie;
                sticky._key = cookie.SessionId;
                hint = snapshot.Find(cookie.Hint);
            }
        }
        if (config.Mode is StickyMode.Cookie or StickyMode.LearnCookie)
            context.Response.OnStarting(static state => ((StickyRequest)state).OnResponseStarting(), sticky);
        if (sticky._key is not null)
            sticky.Bound = await sessions.ResolveAsync(sticky._key, snapshot, hint, lookupOnly: config.Mode == StickyMode.LearnCookie).ConfigureAwait(false);
        return sticky;
    }

    public static async ValueTask<StickyRequest> ForTcpAsync(PoolSessions sessions, IPAddress? client, PoolSnapshot snapshot)
    {
        var sticky = new StickyRequest(sessions);
        if (sessions.Config.Mode == StickyMode.ClientIp && client is not null)
        {
            sticky._key = ClientAddress(client);
            sticky.Bound = await sessions.ResolveAsync(sticky._key, snapshot).ConfigureAwait(false);
        }
        return sticky;
    }

    /// <summary>
    /// Starts a fast-path request of a sticky pool, synchronously while the head is a span. A cached
    /// session is resolved here; otherwise <see cref="CompleteResolveAsync"/> waits for the owner.
    /// False: learn-cookie, whose responses the full pipeline inspects; the connection is handed over.
    /// </summary>
    internal bool TryBeginFastPath<THeaders>(PoolSessions sessions, PoolSnapshot snapshot, ref THeaders headers, ReadOnlySpan<byte> clientIp)
        where THeaders : IRequestHeaders, allows ref struct
    {
        var config = sessions.Config;
        if (config.Mode == StickyMode.LearnCookie) return false;
        if (!ReferenceEquals(sessions, _sessions)) _lastCookieValue = null; // another pool: its cookies are not ours
        _sessions = sessions;
        _cookie = null;
        _tried = 0;
        _attempt = null;
        _key = null;
        _keyLength = 0;
        Bound = null;
        var address = config.Mode == StickyMode.ClientIp ? (_clientAddress ??= Encoding.ASCII.GetString(clientIp)) : "";
        if (!StickyKeys.TryRead(config, ref headers, address, out var raw)) return true;

        Backend? hint = null;
        ReadOnlySpan<char> key;
        if (config.Mode == StickyMode.Cookie)
        {
            if (_lastCookieValue is null || !raw.SequenceEqual(_lastCookieValue))
            {
                _lastCookieValue = raw.ToString();
                _lastCookie = sessions.Service.Codec?.TryDecode(sessions.Name, raw, out var decoded) == true ? decoded : null;
            }
            if (_lastCookie is not { } cookie) return true;
            _cookie = cookie;
            _key = cookie.SessionId;
            key = _key;
            hint = snapshot.Find(cookie.Hint);
        }
        else
        {
            // The header value lives in a scratch buffer that the next header read overwrites: keep a copy.
            if (_keyBuffer is null || _keyBuffer.Length < raw.Length) _keyBuffer = new char[Math.Max(64, raw.Length)];
            raw.CopyTo(_keyBuffer);
            _keyLength = raw.Length;
            key = _keyBuffer.AsSpan(0, raw.Length);
        }

        var resolved = sessions.ResolveAsync(key, snapshot, hint);
        if (resolved.IsCompletedSuccessfully) Bound = resolved.Result;
        else
        {
            _pending = resolved;
            _hasPending = true;
        }
        return true;
    }

    /// <summary>Waits for the owner when <see cref="TryBeginFastPath{THeaders}"/> could not answer from the cache.</summary>
    internal async ValueTask CompleteResolveAsync()
    {
        if (!_hasPending) return;
        _hasPending = false;
        var pending = _pending;
        _pending = default;
        Bound = await pending.ConfigureAwait(false);
    }

    /// <summary>
    /// A slot on the bound backend if it was not tried yet (waiting in the queue while it is full);
    /// after it failed during this request, the backend a rebind would choose; else the pool's normal
    /// pick. The caller counts the attempt with <see cref="OnAttempt"/>.
    /// </summary>
    public async ValueTask<Acquired> AcquireAsync(PoolSnapshot snapshot, PickContext pick, CancellationToken cancellationToken)
    {
        if (Bound is { } bound)
        {
            // A stale pooled connection to a backend that just died fails with a reset, not a
            // refused connect, so no rebind happened: a round-robin retry would send the session to
            // a backend other than the one every node will rebind it to.
            var next = !WasTried(bound) ? bound : Key is { } key ? _sessions.RetryPick(snapshot, key, pick) : null;
            if (next is not null)
            {
                var acquired = await _sessions.AcquireAsync(snapshot, next, cancellationToken).ConfigureAwait(false);
                if (acquired.Backend is not null || acquired.Failure != AcquireFailure.NoBackend) return acquired;
                if (next == bound) Bound = null; // it stopped keeping sessions while we waited
            }
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
        if (Key is not { } key || !ReferenceEquals(failed, Bound)) return;
        Bound = await _sessions.RebindAsync(key, failed, snapshot).ConfigureAwait(false);
    }

    /// <summary>Fast path, cookie mode: the whole <c>Set-Cookie</c> header line for a response from <paramref name="backend"/>, or null when none is due.</summary>
    internal byte[]? SetCookieField(Backend backend) =>
        _sessions.Config.Mode == StickyMode.Cookie && CookieToIssue(backend, secure: false) is { } value
            ? Encoding.ASCII.GetBytes($"Set-Cookie: {value}\r\n")
            : null;

    private bool WasTried(Backend backend) => (uint)backend.Ordinal < 64 && (_tried & (1UL << backend.Ordinal)) != 0;

    private Task OnResponseStarting()
    {
        if (_attempt is not { } backend || _context is not { } context) return Task.CompletedTask;
        if (_sessions.Config.Mode == StickyMode.Cookie)
        {
            if (CookieToIssue(backend, context.Request.IsHttps) is { } value) context.Response.Headers.Append("Set-Cookie", value);
            return Task.CompletedTask;
        }
        return LearnCookieAsync(context, backend);
    }

    /// <summary>
    /// Cookie mode: a request without a valid cookie starts a session on the backend that answered;
    /// a cookie naming another backend (the session moved) or issued more than ttl/4 ago (its Max-Age
    /// runs out) is issued again. Null when the cookie the request carried is still right.
    /// </summary>
    private string? CookieToIssue(Backend backend, bool secure)
    {
        var config = _sessions.Config;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var ttl = (long)config.Ttl.TotalSeconds;
        if (_cookie is { } cookie && cookie.Hint == backend.Id && now - cookie.IssuedAtSeconds < ttl / 4) return null;
        if (_sessions.Service.Codec is not { } codec) return null;
        if (Key is null)
        {
            _key = SessionCookieCodec.NewSessionId();
            _sessions.Bind(_key, backend);
        }
        var value = codec.Encode(_sessions.Name, Key!, backend.Id, now);
        return $"{config.CookieName}={value}; Path=/; Max-Age={ttl}; HttpOnly; SameSite=Lax{(secure ? "; Secure" : "")}";
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

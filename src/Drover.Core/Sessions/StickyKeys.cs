using Drover.Core.Routing;

namespace Drover.Core.Sessions;

/// <summary>
/// Reads a request's sticky key for a pool's mode, without allocating: <c>header:NAME</c> the
/// header's value; <c>learn-cookie:NAME</c> the value of cookie NAME; <c>cookie</c> the raw value of
/// Drover's own cookie (verify it with <see cref="SessionCookieCodec"/> before use); <c>client-ip</c>
/// the client address. False when the request has none (no such header or cookie, or an empty one):
/// such a request is balanced normally.
/// </summary>
public static class StickyKeys
{
    public const string CookieHeaderName = "Cookie";

    public static bool TryRead<THeaders>(StickyConfig config, ref THeaders headers, ReadOnlySpan<char> clientAddress, out ReadOnlySpan<char> key)
        where THeaders : IRequestHeaders, allows ref struct
    {
        key = default;
        switch (config.Mode)
        {
            case StickyMode.ClientIp:
                key = clientAddress;
                break;
            case StickyMode.Header:
                if (headers.TryGet(config.Name!, out var header)) key = header.Trim();
                break;
            case StickyMode.Cookie:
            case StickyMode.LearnCookie:
                if (headers.TryGet(CookieHeaderName, out var cookies))
                    CookieHeader.TryGetValue(cookies, config.Mode == StickyMode.Cookie ? config.CookieName : config.Name!, out key);
                break;
        }
        return !key.IsEmpty;
    }
}

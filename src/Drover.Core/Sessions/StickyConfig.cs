using Drover.Core.Configuration;

namespace Drover.Core.Sessions;

/// <summary>
/// <c>drover.pools.NAME.sticky { mode, cookie-name, ttl }</c>. <see cref="Name"/> is the header or
/// cookie named in <c>header:NAME</c> and <c>learn-cookie:NAME</c>.
/// </summary>
public sealed record StickyConfig(StickyMode Mode, string? Name = null)
{
    public const string DefaultCookieName = "DROVER";
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);
    public static readonly StickyConfig Off = new(StickyMode.Off);

    /// <summary><c>cookie</c> mode: the name of the session cookie Drover issues.</summary>
    public string CookieName { get; init; } = DefaultCookieName;

    /// <summary>A session unused for this long expires (everywhere: owner, caches, replicated store).</summary>
    public TimeSpan Ttl { get; init; } = DefaultTtl;

    public bool Enabled => Mode != StickyMode.Off;

    public const string ModeNames = "off | cookie | header:NAME | client-ip | learn-cookie:NAME";

    /// <summary>The mode as written in config.</summary>
    public string ModeText => Mode switch
    {
        StickyMode.Cookie => "cookie",
        StickyMode.Header => $"header:{Name}",
        StickyMode.ClientIp => "client-ip",
        StickyMode.LearnCookie => $"learn-cookie:{Name}",
        _ => "off",
    };

    public static bool TryParseMode(string? text, out StickyMode mode, out string? name, out string error)
    {
        mode = StickyMode.Off;
        name = null;
        error = "";
        text = text?.Trim() ?? "";
        switch (text.ToLowerInvariant())
        {
            case "off":
                return true;
            case "cookie":
                mode = StickyMode.Cookie;
                return true;
            case "client-ip":
                mode = StickyMode.ClientIp;
                return true;
        }

        var colon = text.IndexOf(':');
        if (colon > 0)
        {
            var kind = text[..colon].Trim().ToLowerInvariant();
            var value = text[(colon + 1)..].Trim();
            if (kind is "header" or "learn-cookie")
            {
                if (!IsToken(value))
                {
                    error = $"'{text}': the {(kind == "header" ? "header" : "cookie")} name is empty or not a valid token";
                    return false;
                }
                mode = kind == "header" ? StickyMode.Header : StickyMode.LearnCookie;
                name = value;
                return true;
            }
        }
        error = $"unknown sticky mode '{text}' (expected {ModeNames})";
        return false;
    }

    /// <summary>Range checks, each naming its key under <paramref name="path"/> (the <c>sticky</c> block).</summary>
    public IEnumerable<ConfigError> Validate(string path)
    {
        if (Ttl < MinTtl)
            yield return new ConfigError($"{path}.ttl", $"must be at least {MinTtl.TotalSeconds:0}s");
        if (!IsToken(CookieName))
            yield return new ConfigError($"{path}.cookie-name", $"'{CookieName}' is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~)");
        if (Mode is StickyMode.Header or StickyMode.LearnCookie && !IsToken(Name))
            yield return new ConfigError($"{path}.mode", $"'{ModeText}': the name is empty or not a valid token");
    }

    // RFC 9110 token characters: what a header or cookie name may contain.
    internal static bool IsToken(string? s)
    {
        if (string.IsNullOrEmpty(s)) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))) return false;
        return true;
    }
}

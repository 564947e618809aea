namespace Drover.Core.Balancing;

public enum HashKeySource
{
    ClientIp,
    Header,
    Cookie,
    Path,
}

/// <summary>
/// What <c>consistent-hash</c> hashes: <c>client-ip | header:NAME | cookie:NAME | path</c>.
/// TCP listeners only know the client address, so they always hash <c>client-ip</c>.
/// </summary>
public sealed record HashKey(HashKeySource Source, string? Name = null)
{
    public static readonly HashKey ClientIp = new(HashKeySource.ClientIp);

    public override string ToString() => Source switch
    {
        HashKeySource.ClientIp => "client-ip",
        HashKeySource.Header => $"header:{Name}",
        HashKeySource.Cookie => $"cookie:{Name}",
        _ => "path",
    };

    public static bool TryParse(string? text, out HashKey key, out string error)
    {
        key = ClientIp;
        error = "";
        text = text?.Trim() ?? "";
        if (text.Equals("client-ip", StringComparison.OrdinalIgnoreCase)) return true;
        if (text.Equals("path", StringComparison.OrdinalIgnoreCase))
        {
            key = new HashKey(HashKeySource.Path);
            return true;
        }

        var colon = text.IndexOf(':');
        if (colon > 0)
        {
            var kind = text[..colon].Trim().ToLowerInvariant();
            var name = text[(colon + 1)..].Trim();
            if (kind is "header" or "cookie")
            {
                if (name.Length == 0 || !IsToken(name))
                {
                    error = $"'{text}': {kind} name is empty or not a valid token";
                    return false;
                }
                key = new HashKey(kind == "header" ? HashKeySource.Header : HashKeySource.Cookie, name);
                return true;
            }
        }

        error = $"unknown hash key '{text}' (expected client-ip | header:NAME | cookie:NAME | path)";
        return false;
    }

    // RFC 9110 token characters: what a header or cookie name may contain.
    private static bool IsToken(string s)
    {
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))) return false;
        return true;
    }
}

namespace Drover.Core.Routing;

/// <summary>One compiled HTTP route: what it matches and the target (a pool) it sends to.</summary>
public sealed class Route<TTarget>(
    HostPattern host,
    string pathPrefix,
    string? headerName,
    string? headerValue,
    string[] methods,
    TTarget target,
    string description)
{
    public HostPattern Host { get; } = host;
    public string PathPrefix { get; } = pathPrefix;
    public string? HeaderName { get; } = headerName;
    public string? HeaderValue { get; } = headerValue;
    public string[] Methods { get; } = methods;
    public TTarget Target { get; } = target;
    public string Description { get; } = description;

    public bool Matches<THeaders>(ReadOnlySpan<char> host, ReadOnlySpan<char> path, string method, ref THeaders headers)
        where THeaders : IRequestHeaders, allows ref struct
    {
        if (!Host.Matches(host)) return false;
        if (!path.StartsWith(PathPrefix, StringComparison.Ordinal)) return false;
        if (Methods.Length > 0 && Array.IndexOf(Methods, method) < 0) return false;
        if (HeaderName is not null)
        {
            if (!headers.TryGet(HeaderName, out var value)) return false;
            if (HeaderValue is not null && !value.SequenceEqual(HeaderValue)) return false;
        }
        return true;
    }
}

namespace Drover.Core.Configuration;

/// <summary>One entry of an HTTP listener's <c>routes</c> list. First match in config order wins.</summary>
/// <param name="Host"><c>*</c>, an exact host, or <c>*.suffix</c>.</param>
/// <param name="HeaderName">Optional: the request must carry this header...</param>
/// <param name="HeaderValue">...with exactly this value (case-sensitive); null means any value.</param>
/// <param name="Methods">Optional: the request method must be one of these (upper case); empty means any.</param>
public sealed record RouteConfig(
    string Host,
    string PathPrefix,
    string Pool,
    string? HeaderName = null,
    string? HeaderValue = null,
    IReadOnlyList<string>? Methods = null);

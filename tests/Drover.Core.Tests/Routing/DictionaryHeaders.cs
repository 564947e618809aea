using Drover.Core.Routing;

namespace Drover.Core.Tests.Routing;

/// <summary>Request headers for route matching, over a dictionary (names case-insensitive, like HTTP).</summary>
internal readonly struct DictionaryHeaders(Dictionary<string, string>? headers = null) : IRequestHeaders
{
    private readonly Dictionary<string, string> _headers =
        new(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);

    public bool TryGet(string name, out ReadOnlySpan<char> value)
    {
        if (_headers.TryGetValue(name, out var text))
        {
            value = text;
            return true;
        }
        value = default;
        return false;
    }
}

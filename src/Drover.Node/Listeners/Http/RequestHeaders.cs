using Drover.Core.Routing;
using Microsoft.AspNetCore.Http;

namespace Drover.Node.Listeners.Http;

/// <summary>Route matching's view of Kestrel's request headers (a struct: no boxing, no allocation).</summary>
internal readonly struct RequestHeaders(IHeaderDictionary headers) : IRequestHeaders
{
    public bool TryGet(string name, out ReadOnlySpan<char> value)
    {
        if (headers.TryGetValue(name, out var values) && values.Count > 0)
        {
            value = values[0];
            return true;
        }
        value = default;
        return false;
    }
}

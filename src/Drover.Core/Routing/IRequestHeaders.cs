namespace Drover.Core.Routing;

/// <summary>
/// Header lookup for route matching, implemented by the host over its own header collection
/// (as a struct, so matching does not allocate or box).
/// </summary>
public interface IRequestHeaders
{
    /// <summary>False when the header is absent; otherwise its (first) value.</summary>
    bool TryGet(string name, out ReadOnlySpan<char> value);
}

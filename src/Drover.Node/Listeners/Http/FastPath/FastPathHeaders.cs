using System.Text;
using Drover.Core.Http1;
using Drover.Core.Routing;

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>Route matching's view of a parsed request head: header values decoded into a scratch buffer, nothing allocated.</summary>
internal readonly ref struct FastPathHeaders(ReadOnlySpan<byte> head, Http1RequestHead parsed, char[] scratch) : IRequestHeaders
{
    private readonly ReadOnlySpan<byte> _head = head;

    public bool TryGet(string name, out ReadOnlySpan<char> value)
    {
        var index = FastPathText.FindHeader(_head, parsed, name);
        if (index < 0 || parsed.Headers[index].ValueLength > scratch.Length)
        {
            value = default;
            return false;
        }
        var field = parsed.Headers[index];
        var written = Encoding.Latin1.GetChars(_head.Slice(field.ValueStart, field.ValueLength), scratch);
        value = scratch.AsSpan(0, written);
        return true;
    }
}

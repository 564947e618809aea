namespace Drover.Core.Http1;

/// <summary>
/// One header field line as offsets into the parsed head. The value excludes the OWS around it
/// (but keeps any whitespace inside it).
/// </summary>
public struct HeaderField
{
    public int NameStart;
    public int NameLength;
    public int ValueStart;
    public int ValueLength;

    public readonly ReadOnlySpan<byte> Name(ReadOnlySpan<byte> head) => head.Slice(NameStart, NameLength);

    public readonly ReadOnlySpan<byte> Value(ReadOnlySpan<byte> head) => head.Slice(ValueStart, ValueLength);
}

using System.Text;

namespace Drover.Core.Tests.Http1;

/// <summary>Helpers shared by the HTTP/1.1 tests.</summary>
internal static class Http1TestText
{
    /// <summary>Latin-1 so that "\u00e9" becomes the single byte 0xE9.</summary>
    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>
    /// Independent oracle for header offsets: splits a well-formed head into (name, trimmed value)
    /// pairs with string operations.
    /// </summary>
    public static List<(string Name, string Value)> SplitFields(string head)
    {
        var result = new List<(string, string)>();
        string[] lines = head.Substring(0, head.IndexOf("\r\n\r\n", StringComparison.Ordinal)).Split("\r\n");
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':');
            result.Add((lines[i].Substring(0, colon), lines[i].Substring(colon + 1).Trim(' ', '\t')));
        }
        return result;
    }

    /// <summary>Applies one random edit that tends to hit the parsers' edge cases.</summary>
    public static byte[] Mutate(byte[] seed, Random random)
    {
        var list = new List<byte>(seed);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = list.Count == 0 ? 0 : random.Next(list.Count);
            byte[] interesting = [(byte)'\r', (byte)'\n', (byte)' ', (byte)'\t', (byte)':', (byte)',', (byte)';', 0, 0x7F, 0x80, 0xFF, (byte)'0', (byte)'9', (byte)'a'];
            switch (random.Next(6))
            {
                case 0 when list.Count > 0:
                    list[at] = (byte)random.Next(256);
                    break;
                case 1 when list.Count > 0:
                    list[at] = interesting[random.Next(interesting.Length)];
                    break;
                case 2:
                    list.Insert(at, interesting[random.Next(interesting.Length)]);
                    break;
                case 3 when list.Count > 0:
                    list.RemoveAt(at);
                    break;
                case 4 when list.Count > 0:
                    // Duplicate a run of bytes, e.g. a whole header line.
                    int length = Math.Min(random.Next(1, 40), list.Count - at);
                    list.InsertRange(at, list.GetRange(at, length));
                    break;
                default:
                    list.InsertRange(at, "\r\n"u8.ToArray());
                    break;
            }
        }
        return list.ToArray();
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Drover.Core.Commands;

/// <summary>Turns frames into lines of JSON and back; the same settings on both ends.</summary>
public static class FrameCodec
{
    /// <summary>Longest line either end accepts; a longer one is garbage, not a frame.</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowOutOfOrderMetadataProperties = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>The frame as one line of UTF-8 JSON with its terminating <c>\n</c>.</summary>
    public static byte[] Encode(CommandFrames.ClientFrame frame) => Line(JsonSerializer.SerializeToUtf8Bytes(frame, Options));

    /// <inheritdoc cref="Encode(CommandFrames.ClientFrame)"/>
    public static byte[] Encode(CommandFrames.ServerFrame frame) => Line(JsonSerializer.SerializeToUtf8Bytes(frame, Options));

    private static byte[] Line(byte[] json)
    {
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>Parses one line; a line that is not a frame of this kind throws <see cref="FrameException"/>.</summary>
    public static T Decode<T>(string line) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(line, Options) ?? throw new FrameException("a frame cannot be null");
        }
        catch (JsonException ex)
        {
            throw new FrameException($"not a frame: {ex.Message}");
        }
        catch (NotSupportedException ex)
        {
            // An object without a known "type" lands here.
            throw new FrameException($"not a frame: {ex.Message}");
        }
    }

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

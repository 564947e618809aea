using System.Text.Json.Serialization;

namespace Drover.Core.Commands;

/// <summary>
/// The command host's wire protocol: one JSON object per line (UTF-8, <c>\n</c>-terminated), the
/// kind in its <c>type</c> field. The client opens with <see cref="Hello"/>; the host answers
/// <see cref="Welcome"/> (with every palette) or <see cref="Denied"/>. Then the client sends
/// <see cref="Run"/> frames one at a time; the host answers each with any number of
/// <see cref="Output"/> chunks and one <see cref="End"/>. <see cref="Cancel"/> ends a running
/// command (a streaming one ends successfully). <see cref="Error"/> reports a broken protocol; the
/// host closes the connection after it.
/// </summary>
public static class CommandFrames
{
    public const int ProtocolVersion = 1;

    /// <summary>Frames the client sends.</summary>
    [JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
    [JsonDerivedType(typeof(Hello), "hello")]
    [JsonDerivedType(typeof(Run), "run")]
    [JsonDerivedType(typeof(Cancel), "cancel")]
    public abstract record ClientFrame;

    /// <summary>First frame: the protocol version the client speaks and the token, if it has one.</summary>
    public sealed record Hello(int Protocol, string? Token, string? Client) : ClientFrame;

    /// <summary>Run a command; <paramref name="Args"/> by long argument name (a flag's value is <c>true</c>).</summary>
    public sealed record Run(long Id, string Palette, string Command, IReadOnlyDictionary<string, string>? Args) : ClientFrame;

    public sealed record Cancel(long Id) : ClientFrame;

    /// <summary>Frames the host sends.</summary>
    [JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
    [JsonDerivedType(typeof(Welcome), "welcome")]
    [JsonDerivedType(typeof(Denied), "denied")]
    [JsonDerivedType(typeof(Output), "out")]
    [JsonDerivedType(typeof(End), "end")]
    [JsonDerivedType(typeof(Error), "error")]
    public abstract record ServerFrame;

    /// <summary>The node's cluster address, its Drover version and the palettes it offers.</summary>
    public sealed record Welcome(int Protocol, string Node, string Version, IReadOnlyList<PaletteSpec> Palettes) : ServerFrame;

    /// <summary>The token was missing or wrong; the host closes the connection.</summary>
    public sealed record Denied(string Message) : ServerFrame;

    /// <summary>A chunk of a command's answer: text as is, usually whole lines ending in <c>\n</c>.</summary>
    public sealed record Output(long Id, string Text) : ServerFrame;

    /// <summary>The final marker of a command's answer.</summary>
    public sealed record End(long Id, bool Ok, string? Message) : ServerFrame;

    public sealed record Error(string Message) : ServerFrame;
}

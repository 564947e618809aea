using System.Globalization;

namespace Drover.Core.Sessions;

/// <summary>
/// A session binding as replicated: the backend id and the wall-clock time (unix milliseconds) up
/// to which the binding may still be in use. Stored as the text <c>backend|hold-until</c>, which
/// every node reads the same way and which needs no custom serializer.
/// </summary>
public readonly record struct SessionRecord(string Backend, long HoldUntilMs)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Backend}|{HoldUntilMs}");

    public bool IsExpired(long nowMs) => HoldUntilMs <= nowMs;

    public static bool TryParse(string? text, out SessionRecord record)
    {
        record = default;
        if (text is null) return false;
        var bar = text.LastIndexOf('|');
        if (bar <= 0 || !long.TryParse(text.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var until)) return false;
        record = new SessionRecord(text[..bar], until);
        return true;
    }
}

namespace Drover.Core.Pools;

/// <summary>
/// HTTP status classes as the counters keep them: one slot per class (1xx to 5xx) and one for any
/// code outside 100-599, so counting is an array increment and never a dictionary.
/// </summary>
public static class StatusClass
{
    /// <summary>Slots: 1xx, 2xx, 3xx, 4xx, 5xx, other.</summary>
    public const int Count = 6;

    public const int Other = Count - 1;

    private static readonly string[] Names = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

    public static int Index(int status) => (uint)(status - 100) < 500u ? status / 100 - 1 : Other;

    /// <summary>The label of a slot: <c>1xx</c> .. <c>5xx</c>, <c>other</c>.</summary>
    public static string Name(int index) => Names[index];
}

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>Marks a connection that the front door counted and served before handing it to Kestrel.</summary>
internal sealed class HandedOverByFastPath
{
    public static readonly HandedOverByFastPath Instance = new();
}

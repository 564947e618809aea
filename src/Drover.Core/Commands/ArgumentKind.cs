namespace Drover.Core.Commands;

/// <summary>What a command argument takes: free text, a whole number, or nothing (a flag that is present or not).</summary>
public enum ArgumentKind
{
    Text,
    Number,
    Flag,
}

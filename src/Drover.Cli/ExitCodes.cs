namespace Drover.Cli;

/// <summary>The <c>drover</c> command's exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The node ran the command and it failed (e.g. not a member, unknown entity type).</summary>
    public const int CommandFailed = 1;

    /// <summary>The command line is wrong: unknown palette or command, missing or bad argument, bad address.</summary>
    public const int Usage = 2;

    /// <summary>No command host at the address, or the connection was lost.</summary>
    public const int Unreachable = 3;

    /// <summary>The node refused the token.</summary>
    public const int Denied = 4;
}

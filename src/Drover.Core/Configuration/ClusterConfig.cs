using System.Text;

namespace Drover.Core.Configuration;

/// <summary>
/// <c>drover.cluster</c>: settings every node of a cluster must share. <see cref="Secret"/> signs
/// session cookies (HMAC-SHA256); it never appears in logs or in <see cref="ToString"/>.
/// </summary>
public sealed record ClusterConfig(string? Secret = null)
{
    public const int MinSecretLength = 16;
    public const string SecretPath = "drover.cluster.secret";
    public static readonly ClusterConfig Default = new();

    public bool HasSecret => !string.IsNullOrEmpty(Secret);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Secret = ").Append(HasSecret ? "(set)" : "(none)");
        return true;
    }
}

namespace Messaging.Host.Auth;

/// <summary>The two roles a token may carry, and the policies that check them.</summary>
public static class OperatorRoles
{
    /// <summary>May look: state, messages, templates, queues, metrics.</summary>
    public const string Reader = "reader";

    /// <summary>May also change things: suppress, redrive, roll back, pause and resume. Implies <see cref="Reader"/>.</summary>
    public const string Operator = "operator";

    public const string ReadPolicy = "read";
    public const string WritePolicy = "write";

    /// <summary>The claim that names the role.</summary>
    public const string RoleClaim = "role";
}

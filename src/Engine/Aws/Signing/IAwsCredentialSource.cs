using Amazon.Runtime;

namespace Messaging.Engine.Aws.Signing;

/// <summary>Where signing credentials come from. Implementations cache and refresh; callers ask on every call.</summary>
public interface IAwsCredentialSource
{
    /// <summary>Current credentials (a session token is included when the source has one).</summary>
    ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken);
}

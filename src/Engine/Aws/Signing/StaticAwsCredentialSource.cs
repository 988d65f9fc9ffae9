using Amazon.Runtime;

namespace Messaging.Engine.Aws.Signing;

/// <summary>Fixed credentials, for tests and tools that are handed keys explicitly.</summary>
public sealed class StaticAwsCredentialSource(ImmutableCredentials credentials) : IAwsCredentialSource
{
    /// <inheritdoc />
    public ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(credentials);
}

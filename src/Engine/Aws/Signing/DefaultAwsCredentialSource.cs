using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Messaging.Engine.Aws.Signing;

/// <summary>
/// The AWS SDK's default credentials chain (environment, shared profile, SSO, web identity,
/// container and instance roles). The chain is resolved once, on first use; the resulting
/// <see cref="AWSCredentials"/> refreshes expiring credentials itself.
/// </summary>
public sealed class DefaultAwsCredentialSource : IAwsCredentialSource
{
    private readonly Lazy<AWSCredentials> _credentials = new(
        () => DefaultAWSCredentialsIdentityResolver.GetCredentials(),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <inheritdoc />
    public async ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _credentials.Value.GetCredentialsAsync().ConfigureAwait(false);
    }
}

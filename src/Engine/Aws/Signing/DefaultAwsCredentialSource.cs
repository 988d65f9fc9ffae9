using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Messaging.Engine.Aws.Signing;

/// <summary>
/// The AWS SDK's default credentials chain (environment, shared profile, SSO, web identity,
/// container and instance roles). The chain is resolved on first use; the resulting
/// <see cref="AWSCredentials"/> refreshes expiring credentials itself. A failed resolution is not
/// cached, so credentials that appear later (a mounted token, a role attached) are picked up.
/// </summary>
public sealed class DefaultAwsCredentialSource : IAwsCredentialSource
{
    private readonly Lazy<AWSCredentials> _credentials = new(
        () => DefaultAWSCredentialsIdentityResolver.GetCredentials(),
        LazyThreadSafetyMode.PublicationOnly);

    /// <inheritdoc />
    public async ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _credentials.Value.GetCredentialsAsync().ConfigureAwait(false);
    }
}

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
    private readonly Lazy<AWSCredentials> _credentials;
    private ImmutableCredentials? _fixed;

    public DefaultAwsCredentialSource()
        : this(() => DefaultAWSCredentialsIdentityResolver.GetCredentials()) { }

    /// <param name="resolve">Finds the credentials on first use.</param>
    internal DefaultAwsCredentialSource(Func<AWSCredentials> resolve) =>
        _credentials = new Lazy<AWSCredentials>(resolve, LazyThreadSafetyMode.PublicationOnly);

    /// <inheritdoc />
    public async ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_fixed is { } known)
        {
            return known;
        }

        var source = _credentials.Value;
        var credentials = await source.GetCredentialsAsync().ConfigureAwait(false);
        // Credentials that do not renew themselves (environment variables, a profile's keys) cannot change under a
        // running process, yet the SDK reads the environment again on every call: a few per cent of the engine's CPU
        // at thousands of sends a second. Those are kept; renewing ones (roles, SSO) cache and refresh themselves.
        if (source is not RefreshingAWSCredentials)
        {
            _fixed = credentials;
        }

        return credentials;
    }
}

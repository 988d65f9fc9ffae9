using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Telemetry;

namespace Messaging.Engine.Aws;

/// <summary>
/// Builds the process's one <see cref="AmazonSQSClient"/>. Endpoint: <c>Engine:Aws:SqsEndpoint</c> when set (it wins),
/// otherwise the SDK's own chain — <c>AWS_ENDPOINT_URL_SQS</c>, <c>AWS_ENDPOINT_URL</c>, the shared config file — then
/// the public regional endpoint. Region and credentials are the engine's (<see cref="AwsEndpointResolver"/>,
/// <see cref="IAwsCredentialSource"/>, both the standard AWS chains by default), so SQS, SES and SMS sign alike.
/// </summary>
internal static class SqsClientSetup
{
    public static AmazonSQSClient Create(AwsOptions options, string region, IAwsCredentialSource credentials, ProviderHealth health)
    {
        var config = new AmazonSQSConfig
        {
            // The engine's loops own retry and backoff: an SDK retry under them would multiply attempts and hide
            // throttling from the classifier (SqsErrors).
            MaxErrorRetry = 0,
            // Long polls are held up to 20 s on top of the ordinary request timeout.
            Timeout = options.RequestTimeout + SqsMessageViews.MaxWaitTime,
            HttpClientFactory = new SqsHttpClientFactory(options, health),
        };
        if (options.SqsEndpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return new AmazonSQSClient(new SourcedCredentials(credentials), config);
    }

    /// <summary>The engine's credential source as SDK credentials (tests and tools swap the source, not the client).</summary>
    private sealed class SourcedCredentials(IAwsCredentialSource source) : AWSCredentials
    {
        public override Task<ImmutableCredentials> GetCredentialsAsync() => source.GetCredentialsAsync(CancellationToken.None).AsTask();

        // Only the SDK's synchronous API calls this; the engine calls the asynchronous one.
        public override ImmutableCredentials GetCredentials() => source.GetCredentialsAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}

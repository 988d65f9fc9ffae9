using System.Net.Http.Headers;
using Amazon.Runtime;
using Messaging.Engine.Telemetry;

namespace Messaging.Engine.Aws;

/// <summary>
/// The HTTP stack under the SQS client: pooled connections like the other AWS clients, every answer reported to
/// <see cref="ProviderHealth"/>, and an empty 2xx JSON body read as <c>{}</c> (the local SQS peer answers an empty
/// receive, or a <c>GetQueueAttributes</c> with none of the names set, with no body, which the SDK cannot parse).
/// </summary>
internal sealed class SqsHttpClientFactory(AwsOptions options, ProviderHealth health) : HttpClientFactory
{
    private readonly Lazy<HttpClient> _client = new(() => new HttpClient(
        new WireHandler(health)
        {
            InnerHandler = new SocketsHttpHandler
            {
                // Recycled so DNS changes are seen.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                MaxConnectionsPerServer = options.MaxConnectionsPerEndpoint,
            },
        })
    {
        Timeout = options.RequestTimeout + SqsMessageViews.MaxWaitTime,
    });

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client.Value;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    private sealed class WireHandler(ProviderHealth health) : DelegatingHandler
    {
        private static readonly MediaTypeHeaderValue Json10 = new("application/x-amz-json-1.0");

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                health.Failed(SqsErrors.Classify(e)!);
                throw;
            }

            if ((int)response.StatusCode >= 500)
            {
                health.Failed(new ProviderError(AwsService.Sqs, ProviderErrorKind.Transient, $"HttpStatus{(int)response.StatusCode}", response.ReasonPhrase ?? "server error")
                {
                    HttpStatus = (int)response.StatusCode,
                });
            }
            else
            {
                health.Answered(AwsService.Sqs);
            }

            if (response.IsSuccessStatusCode && response.Content.Headers.ContentLength is null)
            {
                // Chunked: buffered (the SDK reads every answer whole anyway) so that its length is known.
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            }

            if (response.IsSuccessStatusCode && response.Content.Headers.ContentLength == 0)
            {
                var empty = new ByteArrayContent("{}"u8.ToArray());
                empty.Headers.ContentType = response.Content.Headers.ContentType ?? Json10;
                response.Content.Dispose();
                response.Content = empty;
            }

            return response;
        }
    }
}

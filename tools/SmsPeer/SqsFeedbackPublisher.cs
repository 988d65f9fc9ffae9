using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Aws.Sqs;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.SmsPeer;

/// <summary>
/// Puts the peer's event records on the engine's feedback queue, as End User Messaging's event destination would, with
/// the engine's own SQS client (signed with the peer's key, as every caller's calls are).
/// </summary>
public sealed class SqsFeedbackPublisher : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _queue;

    /// <param name="sqsEndpoint">The SQS endpoint, e.g. the local SQS peer's.</param>
    /// <param name="queue">The feedback queue's name (the engine's <c>Engine:Ingest:FeedbackQueue</c>).</param>
    public SqsFeedbackPublisher(Uri sqsEndpoint, string queue, string region, string accessKey, string secretKey)
    {
        _queue = queue;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = region,
            ["Engine:Aws:SqsEndpoint"] = sqsEndpoint.ToString(),
            ["Engine:Ingest:FeedbackQueue"] = queue,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMessagingEngine(configuration);
        services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(new StaticAwsCredentialSource(new ImmutableCredentials(accessKey, secretKey, null))));
#pragma warning disable ASP0000 // A container of its own for the SQS client alone; the peer's web host has nothing to share with it.
        _services = services.BuildServiceProvider();
#pragma warning restore ASP0000
    }

    /// <summary>Sends <paramref name="record"/> to the feedback queue; returns why it failed, or null.</summary>
    public async Task<string?> PublishAsync(string record, CancellationToken cancellationToken)
    {
        var url = await _services.GetRequiredService<QueueDirectory>().UrlOfAsync(_queue, cancellationToken).ConfigureAwait(false);
        if (!url.TryGetValue(out var queueUrl, out var error))
        {
            return error.ToString();
        }

        var sent = await _services.GetRequiredService<SqsClient>().SendMessageAsync(queueUrl, new SqsOutgoingMessage { Body = record }, cancellationToken).ConfigureAwait(false);
        return sent.TryGetValue(out _, out error) ? null : error.ToString();
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

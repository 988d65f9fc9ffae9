using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Reputation;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>
/// A host with the engine's actor system as the host builds it (a lone node forms its cluster; the shard region
/// <c>recipient</c> on the SQLite journal under <c>contentRoot/data</c>), its entities sending to <c>provider</c>
/// (nowhere by default).
/// </summary>
internal static class LoneRecipientNode
{
    private static readonly Uri Nowhere = new("http://127.0.0.1:9");

    /// <param name="disposables">Takes the AWS services the entities use, to dispose after the host.</param>
    public static async Task<IHost> StartAsync(
        string contentRoot, List<IAsyncDisposable> disposables, IReadOnlyDictionary<string, string?>? settings = null, Uri? provider = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddOptions<JournalOptions>();
        var aws = AwsTestServices.Create(ses: provider ?? Nowhere, sms: Nowhere, requestTimeout: TimeSpan.FromMinutes(2));
        disposables.Add(aws);
        builder.Services.AddSingleton(new RecipientEntityServices(
            aws.GetRequiredService<MessageRenderer>(), aws.GetRequiredService<SendGate>(), aws.GetRequiredService<SendThrottles>(),
            Options.Create(new SendingOptions()), Options.Create(new JournalOptions()), TimeProvider.System,
            aws.GetRequiredService<ReputationGuard>(), aws.GetRequiredService<ReputationCounter>(), new FeedbackProgress()));
        builder.Services.AddEngineActorSystem(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

using Akka.Actor;
using Akka.Hosting;
using Amazon.SQS;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Aws.Sms;
using Messaging.Engine.Cluster;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Feedback;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Recipients.Passivation;
using Messaging.Engine.Reputation;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Messaging.Engine.Templates;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine;

/// <summary>Wires the engine into any .NET Generic Host. Composition only: no behaviour lives here.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>Adds the messaging engine, configured from <paramref name="configuration"/> (the <c>Engine</c> section).</summary>
    public static IServiceCollection AddMessagingEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AwsOptions>()
            .Bind(configuration.GetSection(AwsOptions.SectionName))
            .Validate(o => o.RequestTimeout > TimeSpan.Zero, $"{AwsOptions.SectionName}:RequestTimeout must be positive.")
            .Validate(o => o.MaxConnectionsPerEndpoint > 0, $"{AwsOptions.SectionName}:MaxConnectionsPerEndpoint must be positive.")
            .ValidateOnStart();

        services.TryAddSingleton<IAwsCredentialSource, DefaultAwsCredentialSource>();
        services.TryAddSingleton<AwsEndpointResolver>();
        services.AddHttpClient(AwsJsonTransport.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                // Pooled connections are recycled so DNS changes are seen; the factory's own
                // handler rotation is then unnecessary.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                MaxConnectionsPerServer = provider.GetRequiredService<IOptions<AwsOptions>>().Value.MaxConnectionsPerEndpoint,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            // The factory's handlers log each call at Information (filtered out) and open a log scope per call (not
            // filtered): a cost on every send. The transport logs what goes wrong itself.
            .RemoveAllLoggers();
        services.TryAddSingleton<ProviderHealth>();
        services.TryAddSingleton<AwsJsonTransport>();
        // One SQS client per process: it owns the connection pool (see SqsClientSetup for endpoint and credentials).
        services.TryAddSingleton<IAmazonSQS>(provider => SqsClientSetup.Create(
            provider.GetRequiredService<IOptions<AwsOptions>>().Value,
            provider.GetRequiredService<AwsEndpointResolver>().Region,
            provider.GetRequiredService<IAwsCredentialSource>(),
            provider.GetRequiredService<ProviderHealth>()));
        services.TryAddSingleton<SesClient>();
        services.TryAddSingleton<SmsClient>();

        AddPersistence(services, configuration);
        AddReputation(services, configuration);
        AddRecipients(services);
        AddSending(services, configuration);
        AddIngest(services, configuration);
        return services;
    }

    private static void AddPersistence(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JournalOptions>().Bind(configuration.GetSection(JournalOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JournalOptions>>(new ListedOptionsValidator<JournalOptions>(o => o.Validate()));
        services.TryAddSingleton(provider => SqlJournal.Create(
            provider.GetRequiredService<IOptions<JournalOptions>>().Value,
            provider.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("Messaging.Engine.Persistence")));
        services.TryAddSingleton<IJournal>(provider => provider.GetRequiredService<SqlJournal>());
        // Registered first among the engine's hosted services: the schema is migrated before anything else starts.
        services.AddHostedService<JournalStartup>();
        services.AddHostedService<MessageRetentionPurge>();

        services.AddOptions<TemplateOptions>().Bind(configuration.GetSection(TemplateOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TemplateOptions>>(new ListedOptionsValidator<TemplateOptions>(o => o.Validate()));
        services.TryAddSingleton<ITemplateStore>(provider => new SqlTemplateStore(
            provider.GetRequiredService<SqlJournal>(), provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TemplateCatalog>();
        // After the schema is migrated, before requests are taken: the first request finds the templates loaded.
        services.AddHostedService<TemplateCatalogRefresh>();
    }

    private static void AddReputation(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReputationOptions>().Bind(configuration.GetSection(ReputationOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReputationOptions>>(new ListedOptionsValidator<ReputationOptions>(o => o.Validate()));
        services.TryAddSingleton(provider => new ReputationStore(provider.GetRequiredService<SqlJournal>()));
        services.TryAddSingleton<ReputationCounter>();
        services.TryAddSingleton<ReputationGuard>();
        // Before the actors and the request source: pauses are known before the first request is decided.
        services.AddHostedService(provider => provider.GetRequiredService<ReputationGuard>());
    }

    private static void AddRecipients(IServiceCollection services)
    {
        services.TryAddSingleton<RecipientEventSerializer>();
        services.TryAddSingleton<FeedbackProgress>();
        services.TryAddSingleton<RecipientEntityServices>();
        services.TryAddSingleton<RecipientRegion>();
    }

    private static void AddSending(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SendingOptions>().Bind(configuration.GetSection(SendingOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SendingOptions>>(new ListedOptionsValidator<SendingOptions>(o => o.Validate()));
        services.AddOptions<ThrottlingOptions>().Bind(configuration.GetSection(ThrottlingOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ThrottlingOptions>>(new ListedOptionsValidator<ThrottlingOptions>(o => o.Validate()));
        services.TryAddSingleton<MessageRenderer>();
        services.TryAddSingleton(provider => new EngineMetrics(
            provider.GetRequiredService<SendThrottles>(),
            // The node's registry of live entities (the least-recently-used limit's), when there is an actor system.
            () => provider.GetService<ActorSystem>() is { } system ? ActiveRecipients.Get(system).Live : 0,
            // The plugin's store is the actor system's; a composition without one (the CLI) has written nothing.
            () => provider.GetService<ActorSystem>() is { } system ? EventStores.Get(system).ForDefaultJournal(system).WriterCounts : default,
            provider.GetRequiredService<ProviderHealth>()));
        services.TryAddSingleton<ProviderSender>();
        services.TryAddSingleton<SendThrottles>();
        services.TryAddSingleton(provider => new ClusterSendSlots(
            () => provider.GetRequiredService<IRequiredActor<SendSlotAllocator>>().ActorRef,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<IOptions<AwsOptions>>().Value.RequestTimeout,
            provider.GetRequiredService<IOptions<ThrottlingOptions>>().Value.ProviderWorkAtLeast));
        services.TryAddSingleton<SendGate>();
        services.TryAddSingleton<SesQuotaMonitor>();
        services.AddHostedService(provider => provider.GetRequiredService<SesQuotaMonitor>());
    }

    private static void AddIngest(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestOptions>().Bind(configuration.GetSection(IngestOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>>(new ListedOptionsValidator<IngestOptions>(o => o.Validate()));
        services.TryAddSingleton<QueueDirectory>();
        services.TryAddSingleton(provider => new DeadLetterBodyStore(provider.GetRequiredService<SqlJournal>()));
        services.TryAddSingleton<DeadLetterWriter>();
        services.TryAddSingleton<DeadLetterConsole>();
        services.TryAddSingleton<RequestIngest>();
        // The actor system is hosted apart (AddEngineActorSystem) and stops after the host's services: the source stops
        // (and drains) while the recipient entities are still there to finish its requests.
        services.AddHostedService(provider => provider.GetRequiredService<RequestIngest>());

        services.TryAddSingleton(provider => new StatusOutbox(provider.GetRequiredService<SqlJournal>()));
        services.TryAddSingleton<StatusPublisher>();
        services.AddHostedService(provider => provider.GetRequiredService<StatusPublisher>());
        services.AddOptions<FeedbackOptions>().Bind(configuration.GetSection(FeedbackOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeedbackOptions>>(new ListedOptionsValidator<FeedbackOptions>(o => o.Validate()));
        services.TryAddSingleton<FeedbackRecorder>();
        services.TryAddSingleton<CorrelationGrace>();
        services.TryAddSingleton<QueueDepthMonitor>();
        services.AddHostedService(provider => provider.GetRequiredService<QueueDepthMonitor>());
        services.TryAddSingleton<FeedbackSource>();
        services.AddHostedService(provider => provider.GetRequiredService<FeedbackSource>());
    }
}

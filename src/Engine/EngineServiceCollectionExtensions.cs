using Messaging.Engine.Actors;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Aws.Sms;
using Messaging.Engine.Aws.Sqs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Recipients;
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
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<AwsJsonTransport>();
        services.TryAddSingleton<SqsClient>();
        services.TryAddSingleton<SesClient>();
        services.TryAddSingleton<SmsClient>();

        AddPersistence(services, configuration);
        AddActors(services, configuration);
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
    }

    private static void AddActors(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ActorOptions>().Bind(configuration.GetSection(ActorOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ActorOptions>>(new ListedOptionsValidator<ActorOptions>(o => o.Validate()));
        services.TryAddSingleton<IDeadLetterSink, LoggingDeadLetterSink>();
        services.TryAddSingleton<ActorHost>();
        services.AddHostedService<ActorHostLifetime>();

        services.TryAddSingleton<RecipientEventSerializer>();
        services.TryAddSingleton<RecipientJournal>();
        services.TryAddSingleton(provider =>
        {
            var journal = provider.GetRequiredService<RecipientJournal>();
            var time = provider.GetRequiredService<TimeProvider>();
            return provider.GetRequiredService<ActorHost>().CreateRegistry<RecipientKey, RecipientCommand>(
                "recipient", key => new RecipientActor(key, journal, time));
        });
    }
}

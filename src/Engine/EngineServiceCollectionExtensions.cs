using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Aws.Sms;
using Messaging.Engine.Aws.Sqs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        return services;
    }
}

using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Testing;

/// <summary>The engine's real service registrations, pointed at test endpoints and fixed credentials.</summary>
public static class AwsTestServices
{
    /// <summary>Builds a provider with <c>AddMessagingEngine</c> and the given endpoints.</summary>
    public static ServiceProvider Create(Uri? sqs = null, Uri? ses = null, Uri? sms = null, TimeSpan? requestTimeout = null, DelegatingHandler? configureHttp = null, string secretKey = SmsFixtureServer.SecretKey, IAwsCredentialSource? credentials = null, IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = SmsFixtureServer.Region,
            ["Engine:Aws:SqsEndpoint"] = sqs?.ToString(),
            ["Engine:Aws:SesEndpoint"] = ses?.ToString(),
            ["Engine:Aws:SmsEndpoint"] = sms?.ToString(),
            ["Engine:Aws:RequestTimeout"] = (requestTimeout ?? TimeSpan.FromSeconds(10)).ToString(),
        };
        foreach (var (name, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMessagingEngine(configuration);
        if (configureHttp is not null)
        {
            services.AddHttpClient(AwsJsonTransport.HttpClientName).AddHttpMessageHandler(() => configureHttp);
        }

        services.Replace(ServiceDescriptor.Singleton(
            credentials ?? new StaticAwsCredentialSource(new ImmutableCredentials(SmsFixtureServer.AccessKey, secretKey, null))));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}

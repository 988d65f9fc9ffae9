using Amazon;
using Amazon.Runtime;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Aws;

/// <summary>
/// Resolves the region and each service's endpoint the way the AWS SDKs do: explicit configuration,
/// then <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, then <c>AWS_ENDPOINT_URL</c>, then the public
/// regional endpoint. Resolved once at start-up; nothing on the hot path reads the environment.
/// </summary>
public sealed class AwsEndpointResolver
{
    private readonly Dictionary<AwsService, Uri> _endpoints;

    /// <summary>Resolves from options and the process environment.</summary>
    public AwsEndpointResolver(IOptions<AwsOptions> options)
        : this(options.Value, Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Resolves from options and the given environment (tests pass a dictionary).</summary>
    public AwsEndpointResolver(AwsOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        Region = ResolveRegion(options.Region, environment);
        _endpoints = new()
        {
            [AwsService.Sqs] = Resolve(AwsService.Sqs, options.SqsEndpoint, environment),
            [AwsService.SesV2] = Resolve(AwsService.SesV2, options.SesEndpoint, environment),
            [AwsService.SmsVoiceV2] = Resolve(AwsService.SmsVoiceV2, options.SmsEndpoint, environment),
        };
    }

    /// <summary>The region every call is signed for.</summary>
    public string Region { get; }

    /// <summary>The base endpoint of <paramref name="service"/>.</summary>
    public Uri EndpointFor(AwsService service) => _endpoints[service];

    private Uri Resolve(AwsService service, Uri? configured, Func<string, string?> environment)
    {
        if (configured is not null)
        {
            return configured;
        }

        var fromEnvironment = environment($"AWS_ENDPOINT_URL_{service.EndpointVariableSuffix}") ?? environment("AWS_ENDPOINT_URL");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Uri.TryCreate(fromEnvironment.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new InvalidOperationException($"The {service} endpoint \"{fromEnvironment}\" from the environment is not an absolute http(s) URL.");
        }

        return new Uri($"https://{service.EndpointPrefix}.{Region}.amazonaws.com");
    }

    private static string ResolveRegion(string? configured, Func<string, string?> environment)
    {
        var region = configured ?? environment("AWS_REGION") ?? environment("AWS_DEFAULT_REGION");
        if (!string.IsNullOrWhiteSpace(region))
        {
            return region.Trim();
        }

        // The shared config profile, never instance metadata: a lookup there can hang off EC2.
        var fromProfile = FallbackRegionFactory.GetRegionEndpoint(false);
        return fromProfile?.SystemName
            ?? throw new InvalidOperationException(
                $"No AWS region is configured: set {AwsOptions.SectionName}:Region, AWS_REGION, or a region in the AWS profile.");
    }
}

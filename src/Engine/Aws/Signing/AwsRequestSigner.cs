using System.Net.Http.Headers;
using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Util;

namespace Messaging.Engine.Aws.Signing;

/// <summary>
/// Signs an <see cref="HttpRequestMessage"/> with AWS Signature Version 4. The canonical request,
/// key derivation and HMACs are all <c>AWSSDK.Core</c>'s <see cref="AWS4Signer"/>: this type only
/// carries our request into the SDK's request shape and the resulting headers back.
/// One instance per service and region; it is immutable and safe to share.
/// </summary>
public sealed class AwsRequestSigner
{
    private readonly AWS4Signer _signer = new();
    private readonly SigningScope _scope;

    /// <summary>A signer for one service in one region.</summary>
    /// <param name="signingName">SigV4 service name, e.g. <c>sqs</c>, <c>ses</c>, <c>sms-voice</c>.</param>
    /// <param name="region">Region of the credential scope.</param>
    public AwsRequestSigner(string signingName, string region)
    {
        SigningName = signingName;
        Region = region;
        _scope = new SigningScope(region, signingName);
    }

    /// <summary>SigV4 service name.</summary>
    public string SigningName { get; }

    /// <summary>Region of the credential scope.</summary>
    public string Region { get; }

    /// <summary>Adds <c>X-Amz-Date</c>, <c>X-Amz-Content-SHA256</c>, <c>X-Amz-Security-Token</c> (with session credentials) and <c>Authorization</c>.</summary>
    /// <param name="request">The request to sign; its content headers (Content-Type) are signed too.</param>
    /// <param name="body">The exact body bytes that will be sent.</param>
    /// <param name="credentials">Credentials to sign with.</param>
    /// <param name="signedAtUtc">Signing time (UTC).</param>
    public void Sign(HttpRequestMessage request, byte[] body, ImmutableCredentials credentials, DateTime signedAtUtc)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(credentials);
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        if (uri.Query.Length > 1)
        {
            // None of the engine's calls carry a query string; signing one would need the SDK's parameter collection.
            throw new NotSupportedException("Signing requests with a query string is not supported.");
        }

        var sdkRequest = new DefaultRequest(SignedWireRequest.Instance, SigningName)
        {
            HttpMethod = request.Method.Method,
            Endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority)),
            ResourcePath = uri.AbsolutePath,
            Content = body,
            AuthenticationRegion = Region,
        };
        CopyHeaders(request.Headers, sdkRequest.Headers);
        if (request.Content is not null)
        {
            CopyHeaders(request.Content.Headers, sdkRequest.Headers);
        }

        if (credentials.UseToken)
        {
            sdkRequest.Headers["X-Amz-Security-Token"] = credentials.Token;
        }

        var result = _signer.SignRequest(
            sdkRequest, _scope, new RequestMetrics(), credentials.AccessKey, credentials.SecretKey, signedAtUtc);

        foreach (var (name, value) in sdkRequest.Headers)
        {
            if (name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase) && !request.Headers.Contains(name))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        // The SigV4 credential list is not an RFC 7235 token68, so it is added unparsed.
        request.Headers.TryAddWithoutValidation("Authorization", result.ForAuthorizationHeader);
    }

    private static void CopyHeaders(HttpHeaders from, IDictionary<string, string> to)
    {
        foreach (var (name, values) in from)
        {
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase) && !string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                to[name] = string.Join(',', values);
            }
        }
    }

    /// <summary>The SDK's request type needs an originating request object; ours carries nothing.</summary>
    private sealed class SignedWireRequest : AmazonWebServiceRequest
    {
        public static readonly SignedWireRequest Instance = new();
    }

    /// <summary>
    /// The signer reads the credential scope from a client configuration. Without the service name set
    /// here, a loopback endpoint would yield a wrong scope, as the SDK would guess it from the host.
    /// </summary>
    private sealed class SigningScope : ClientConfig
    {
        public SigningScope(string region, string signingName)
            : base(new NoDefaults())
        {
            AuthenticationRegion = region;
            AuthenticationServiceName = signingName;
        }

        public override string RegionEndpointServiceName => AuthenticationServiceName;

        public override string ServiceVersion => "1";

        public override string UserAgent => "messaging-engine";

        public override Endpoint DetermineServiceOperationEndpoint(ServiceOperationEndpointParameters parameters) =>
            throw new NotSupportedException("Endpoints are resolved by the engine, not the SDK.");
    }

    private sealed class NoDefaults : IDefaultConfigurationProvider
    {
        public IDefaultConfiguration GetDefaultConfiguration(Amazon.RegionEndpoint? clientRegion, DefaultConfigurationMode? requestedConfigurationMode = null) =>
            new DefaultConfiguration();
    }
}

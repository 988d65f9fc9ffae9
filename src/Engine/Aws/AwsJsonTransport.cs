using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon.Runtime;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Aws;

/// <summary>
/// Sends one signed JSON request to an AWS service and turns whatever comes back into an
/// <see cref="AwsResult{T}"/>: the parsed response, or a classified <see cref="ProviderError"/>.
/// Serves AWS JSON 1.0 (SMS) and REST-JSON (SES v2); SQS goes through AWSSDK.SQS. Never retries: the caller owns
/// retry policy, so a throttled call is never quietly repeated.
/// </summary>
public sealed partial class AwsJsonTransport
{
    /// <summary>The header naming the operation of an AWS JSON 1.0 call.</summary>
    public const string TargetHeader = "X-Amz-Target";

    /// <summary>Name of the pooled <see cref="HttpClient"/> registered for AWS calls.</summary>
    public const string HttpClientName = "aws";

    private const string CredentialsUnavailable = "CredentialsUnavailable";

    private static readonly MediaTypeHeaderValue Json10 = new("application/x-amz-json-1.0");
    private static readonly MediaTypeHeaderValue RestJson = new("application/json");

    private readonly IHttpClientFactory _httpClients;
    // Made once: its handler lives for ever (SetHandlerLifetime), so a client per call would only allocate.
    private HttpClient? _httpClient;
    private readonly IAwsCredentialSource _credentials;
    private readonly AwsEndpointResolver _endpoints;
    private readonly TimeProvider _time;
    private readonly ILogger<AwsJsonTransport> _logger;
    private readonly ProviderHealth _health;
    private readonly TimeSpan _requestTimeout;
    private readonly Dictionary<AwsService, AwsRequestSigner> _signers;

    // One per pooled connection of each endpoint: a call takes one before its timeout starts, so no call waits in the
    // connection pool on its own clock, where a timeout could not tell "never left" from "no answer".
    private readonly Dictionary<AwsService, SemaphoreSlim> _callSlots;

    /// <summary>Creates the transport.</summary>
    public AwsJsonTransport(
        IHttpClientFactory httpClients,
        IAwsCredentialSource credentials,
        AwsEndpointResolver endpoints,
        IOptions<AwsOptions> options,
        TimeProvider time,
        ILogger<AwsJsonTransport> logger,
        ProviderHealth health)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _credentials = credentials;
        _endpoints = endpoints;
        _time = time;
        _logger = logger;
        _health = health;
        _requestTimeout = options.Value.RequestTimeout;
        AwsService[] services = [AwsService.SesV2, AwsService.SmsVoiceV2];
        _signers = services.ToDictionary(s => s, s => new AwsRequestSigner(s.SigningName, endpoints.Region));
        var connections = options.Value.MaxConnectionsPerEndpoint;
        _callSlots = services.ToDictionary(s => s, _ => new SemaphoreSlim(connections, connections));
    }

    /// <summary>An AWS JSON 1.0 call: <c>POST /</c> with <c>X-Amz-Target: {target}</c>.</summary>
    /// <param name="service">The service.</param>
    /// <param name="target">Full target, e.g. <c>PinpointSMSVoiceV2.SendTextMessage</c>.</param>
    /// <param name="request">The request body.</param>
    /// <param name="requestType">Its JSON metadata.</param>
    /// <param name="responseType">The response's JSON metadata.</param>
    /// <param name="extraWait">Time the provider is allowed to hold the call (a long poll), on top of the request timeout.</param>
    /// <param name="cancellationToken">Cancels the call; cancellation throws, it is not an error result.</param>
    public Task<AwsResult<TResponse>> PostJson10Async<TRequest, TResponse>(
        AwsService service,
        string target,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        TimeSpan extraWait,
        CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        return SendAsync(service, HttpMethod.Post, "/", body, Json10, target, responseType, extraWait, cancellationToken);
    }

    /// <summary>A REST-JSON call: <paramref name="method"/> on <paramref name="path"/>, with a JSON body when one is given.</summary>
    public Task<AwsResult<TResponse>> SendRestJsonAsync<TRequest, TResponse>(
        AwsService service,
        HttpMethod method,
        string path,
        TRequest? request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        var body = request is null ? [] : JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        return SendAsync(service, method, path, body, request is null ? null : RestJson, null, responseType, TimeSpan.Zero, cancellationToken);
    }

    /// <summary>One call, and what it says of the provider's health (warned about at most every 30 s, on metrics).</summary>
    private async Task<AwsResult<TResponse>> SendAsync<TResponse>(
        AwsService service,
        HttpMethod method,
        string path,
        byte[] body,
        MediaTypeHeaderValue? contentType,
        string? target,
        JsonTypeInfo<TResponse> responseType,
        TimeSpan extraWait,
        CancellationToken cancellationToken)
    {
        var result = await CallAsync(service, method, path, body, contentType, target, responseType, extraWait, cancellationToken).ConfigureAwait(false);
        if (result.TryGetValue(out _, out var error) || error.HttpStatus is < 500)
        {
            // A refusal or throttling is an answer too: the provider is there.
            _health.Answered(service);
        }
        else if (error.Code != CredentialsUnavailable)
        {
            // Unreachable, timed out or 5xx. (Missing credentials say nothing of the provider: readiness reports them.)
            _health.Failed(error);
        }

        return result;
    }

    private async Task<AwsResult<TResponse>> CallAsync<TResponse>(
        AwsService service,
        HttpMethod method,
        string path,
        byte[] body,
        MediaTypeHeaderValue? contentType,
        string? target,
        JsonTypeInfo<TResponse> responseType,
        TimeSpan extraWait,
        CancellationToken cancellationToken)
    {
        ImmutableCredentials credentials;
        try
        {
            credentials = await _credentials.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonClientException or AmazonServiceException)
        {
            // A missing or expired credential source may recover (instance role, SSO refresh); the
            // message says which, and readiness reports it.
            return AwsResult<TResponse>.Failure(Error(service, ProviderErrorKind.Transient, CredentialsUnavailable, ex.Message));
        }

        var slots = _callSlots[service];
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var releaseSlot = new SlotRelease(slots);
        using var request = new HttpRequestMessage(method, new Uri(_endpoints.EndpointFor(service), path));
        if (contentType is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = contentType;
        }

        if (target is not null)
        {
            request.Headers.TryAddWithoutValidation(TargetHeader, target);
        }

        _signers[service].Sign(request, body, credentials, _time.GetUtcNow().UtcDateTime);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout + extraWait);
        var client = _httpClient ??= _httpClients.CreateClient(HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var payload = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? ReadSuccess(service, response, payload, responseType)
                : AwsResult<TResponse>.Failure(ReadError(service, response, payload));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogTimeout(service, target ?? path, _requestTimeout + extraWait);
            return AwsResult<TResponse>.Failure(Error(
                service,
                ProviderErrorKind.Transient,
                "Timeout",
                $"No complete answer within {(_requestTimeout + extraWait).TotalSeconds:0.#} s.",
                outcomeUnknown: true));
        }
        catch (HttpRequestException ex)
        {
            // Refused or unresolvable means the request never left; anything later may have reached the provider.
            var neverSent = ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;
            LogConnectionFailure(ex, service, target ?? path);
            return AwsResult<TResponse>.Failure(Error(
                service,
                ProviderErrorKind.Transient,
                neverSent ? "ConnectionFailed" : "ConnectionLost",
                ex.Message,
                outcomeUnknown: !neverSent));
        }
    }

    private static AwsResult<TResponse> ReadSuccess<TResponse>(AwsService service, HttpResponseMessage response, byte[] payload, JsonTypeInfo<TResponse> responseType)
    {
        try
        {
            // Some calls answer 200 with no body; treat that as an empty object.
            var value = payload.Length == 0 ? JsonSerializer.Deserialize("{}"u8, responseType) : JsonSerializer.Deserialize(payload, responseType);
            if (value is null)
            {
                return AwsResult<TResponse>.Failure(Error(service, ProviderErrorKind.Transient, "MalformedResponse", "The response body was JSON null.", (int)response.StatusCode, RequestId(response), outcomeUnknown: true));
            }

            return AwsResult<TResponse>.Success(value);
        }
        catch (JsonException ex)
        {
            // The provider answered 2xx, so it probably acted: the outcome is unknown, not failed.
            return AwsResult<TResponse>.Failure(Error(
                service,
                ProviderErrorKind.Transient,
                "MalformedResponse",
                $"The {(int)response.StatusCode} response body is not the expected JSON: {ex.Message}",
                (int)response.StatusCode,
                RequestId(response),
                outcomeUnknown: true));
        }
    }

    private static ProviderError ReadError(AwsService service, HttpResponseMessage response, byte[] payload)
    {
        AwsErrorBody? error = null;
        if (payload.Length > 0)
        {
            try
            {
                error = JsonSerializer.Deserialize(payload, AwsJsonContext.Default.AwsErrorBody);
            }
            catch (JsonException)
            {
                // An HTML page from a proxy or load balancer: the status code is all there is to go on.
            }
        }

        var status = (int)response.StatusCode;
        var headerCode = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        var code = ProviderErrorClassifier.NormalizeCode(headerCode)
            ?? ProviderErrorClassifier.NormalizeCode(error?.Type)
            ?? ProviderErrorClassifier.NormalizeCode(error?.Code)
            ?? $"HttpStatus{status}";
        var message = error?.Message ?? (response.ReasonPhrase is { Length: > 0 } phrase ? phrase : ((HttpStatusCode)status).ToString());
        var kind = ProviderErrorClassifier.Classify(service, status, code, message);
        return new ProviderError(service, kind, code, message)
        {
            HttpStatus = status,
            RequestId = RequestId(response),
            Reason = error?.Reason,
        };
    }

    private static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-amzn-RequestId", out var values) ? values.FirstOrDefault() : null;

    private static ProviderError Error(
        AwsService service,
        ProviderErrorKind kind,
        string code,
        string message,
        int? status = null,
        string? requestId = null,
        bool outcomeUnknown = false) =>
        new(service, kind, code, message)
        {
            HttpStatus = status,
            RequestId = requestId,
            OutcomeUnknown = outcomeUnknown,
        };

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Service} call {Operation} timed out after {Timeout}")]
    private partial void LogTimeout(AwsService service, string operation, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Service} call {Operation} failed to connect")]
    private partial void LogConnectionFailure(Exception exception, AwsService service, string operation);

    /// <summary>Gives a call slot back when the call is over, however it ended.</summary>
    private readonly struct SlotRelease(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}

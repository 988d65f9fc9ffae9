using System.Net;
using System.Net.Sockets;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Sms;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws;

/// <summary>Every way a provider call can fail ends as one classified error, never an exception.</summary>
public sealed class AwsJsonTransportErrorTests : IAsyncLifetime
{
    private static readonly SmsText Text = new() { DestinationPhoneNumber = "+15551234567", MessageBody = "x" };
    private readonly SmsFixtureServer _server = new();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _services = AwsTestServices.Create(ses: _server.Endpoint, sms: _server.Endpoint, requestTimeout: TimeSpan.FromSeconds(3));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Http_429_from_SES_is_throttling_with_the_header_code_and_body_message()
    {
        _server.Script(new ScriptedResponse(
            429,
            """{"message":"Maximum sending rate exceeded."}""",
            new Dictionary<string, string> { ["x-amzn-ErrorType"] = "TooManyRequestsException:http://internal.amazon.com/coral/com.amazon.coral.service/" }));

        var error = await SendEmailErrorAsync();

        Assert.Equal(ProviderErrorKind.Throttled, error.Kind);
        Assert.Equal("TooManyRequestsException", error.Code);
        Assert.Equal("Maximum sending rate exceeded.", error.Message);
        Assert.Equal(429, error.HttpStatus);
        Assert.False(error.OutcomeUnknown);
        Assert.NotNull(error.RequestId);
    }

    [Fact]
    public async Task SES_daily_quota_is_quota_exhausted_not_a_failure()
    {
        _server.Script(new ScriptedResponse(400, """{"__type":"ThrottlingException","message":"Daily message quota exceeded."}"""));

        var error = await SendEmailErrorAsync();

        Assert.Equal(ProviderErrorKind.QuotaExhausted, error.Kind);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task Http_500_is_transient()
    {
        _server.Script(ScriptedResponse.Json10Error(500, "InternalServerException", "Internal service failure"));

        var error = await SendTextErrorAsync();

        Assert.Equal(ProviderErrorKind.Transient, error.Kind);
        Assert.Equal("InternalServerException", error.Code);
        Assert.Equal(500, error.HttpStatus);
    }

    [Fact]
    public async Task Http_503_with_an_html_body_is_transient_by_its_status()
    {
        _server.Script(new ScriptedResponse(503, "<html><body>Service Unavailable</body></html>"));

        var error = await SendTextErrorAsync();

        Assert.Equal(ProviderErrorKind.Transient, error.Kind);
        Assert.Equal("HttpStatus503", error.Code);
    }

    [Fact]
    public async Task A_timeout_is_transient_and_its_outcome_unknown()
    {
        _server.Script(new ScriptedResponse(200, """{"MessageId":"late"}""", Delay: TimeSpan.FromSeconds(30)));

        var error = await SendTextErrorAsync();

        Assert.Equal(ProviderErrorKind.Transient, error.Kind);
        Assert.Equal("Timeout", error.Code);
        Assert.True(error.OutcomeUnknown);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws_instead_of_becoming_an_error()
    {
        _server.Script(new ScriptedResponse(200, """{"MessageId":"late"}""", Delay: TimeSpan.FromSeconds(30)));
        using var cancel = new CancellationTokenSource();
        var call = _services.GetRequiredService<SmsClient>().SendTextMessageAsync(Text, cancel.Token);
        await AwaitCondition.UntilAsync(() => Task.FromResult(_server.Received.Count == 1), TimeSpan.FromSeconds(10), "the request reached the server");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_refused_connection_is_transient_and_certainly_not_sent()
    {
        using var services = AwsTestServices.Create(sms: ClosedPort());

        var result = await services.GetRequiredService<SmsClient>().SendTextMessageAsync(Text, default);

        Assert.Equal(ProviderErrorKind.Transient, result.Error!.Kind);
        Assert.Equal("ConnectionFailed", result.Error.Code);
        Assert.False(result.Error.OutcomeUnknown);
        Assert.Null(result.Error.HttpStatus);
    }

    [Fact]
    public async Task A_malformed_success_body_is_transient_and_its_outcome_unknown()
    {
        _server.Script(new ScriptedResponse(200, """{"MessageId": oops"""));

        var error = await SendTextErrorAsync();

        Assert.Equal(ProviderErrorKind.Transient, error.Kind);
        Assert.Equal("MalformedResponse", error.Code);
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(200, error.HttpStatus);
    }

    [Fact]
    public async Task A_success_body_without_required_fields_is_malformed()
    {
        _server.Script(new ScriptedResponse(200, """{"Unexpected":true}"""));

        var error = await SendTextErrorAsync();

        Assert.Equal("MalformedResponse", error.Code);
        Assert.True(error.OutcomeUnknown);
    }

    [Fact]
    public async Task Credentials_that_cannot_be_resolved_are_a_transient_error_that_names_the_cause()
    {
        using var services = AwsTestServices.Create(sms: _server.Endpoint, credentials: new UnavailableCredentials());

        var result = await services.GetRequiredService<SmsClient>().SendTextMessageAsync(Text, default);

        Assert.Equal(ProviderErrorKind.Transient, result.Error!.Kind);
        Assert.Equal("CredentialsUnavailable", result.Error.Code);
        Assert.Equal("No credentials in the chain.", result.Error.Message);
        Assert.Empty(_server.Received);
    }

    private async Task<ProviderError> SendTextErrorAsync()
    {
        var result = await _services.GetRequiredService<SmsClient>().SendTextMessageAsync(Text, default);
        Assert.False(result.IsSuccess, result.ToString());
        return result.Error;
    }

    private async Task<ProviderError> SendEmailErrorAsync()
    {
        var email = new SesEmail { From = "shop@example.com", To = ["ana@example.com"], Subject = "s", Text = "t" };
        var result = await _services.GetRequiredService<SesClient>().SendEmailAsync(email, default);
        Assert.False(result.IsSuccess, result.ToString());
        return result.Error;
    }

    private sealed class UnavailableCredentials : Messaging.Engine.Aws.Signing.IAwsCredentialSource
    {
        public ValueTask<Amazon.Runtime.ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken) =>
            throw new Amazon.Runtime.AmazonClientException("No credentials in the chain.");
    }

    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}

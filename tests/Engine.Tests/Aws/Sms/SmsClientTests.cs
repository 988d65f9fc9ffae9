using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Sms;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws.Sms;

public sealed class SmsClientTests : IAsyncLifetime
{
    private readonly SmsFixtureServer _fixture = new();
    private ServiceProvider _services = null!;

    private SmsClient Sms => _services.GetRequiredService<SmsClient>();

    public async Task InitializeAsync()
    {
        await _fixture.InitializeAsync();
        _services = AwsTestServices.Create(sms: _fixture.Endpoint);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    [Fact]
    public async Task Sends_a_signed_SendTextMessage_in_the_json_1_0_shape()
    {
        var text = new SmsText
        {
            DestinationPhoneNumber = "+15551234567",
            MessageBody = "Your code is 123456",
            OriginationIdentity = "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-1",
            MessageType = "TRANSACTIONAL",
            ConfigurationSetName = "otp",
            Context = new Dictionary<string, string> { ["messageId"] = "otp-77" },
            TimeToLive = 300,
        };

        var result = await Sms.SendTextMessageAsync(text, default);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.True(Guid.TryParse(result.Value, out _));
        var received = Assert.Single(_fixture.Received);
        Assert.True(received.SignatureValid);
        Assert.Equal("PinpointSMSVoiceV2.SendTextMessage", received.Headers["x-amz-target"]);
        Assert.Equal("application/x-amz-json-1.0", received.Headers["content-type"]);
        Assert.Equal(
            """{"DestinationPhoneNumber":"+15551234567","MessageBody":"Your code is 123456","OriginationIdentity":"arn:aws:sms-voice:us-east-1:123456789012:pool/pool-1","MessageType":"TRANSACTIONAL","ConfigurationSetName":"otp","Context":{"messageId":"otp-77"},"TimeToLive":300}""",
            received.Json.GetRawText().Replace("\\u002B", "+", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_by_the_fixtures_signature_check()
    {
        using var wrong = AwsTestServices.Create(sms: _fixture.Endpoint, secretKey: "not-the-secret");

        var result = await wrong.GetRequiredService<SmsClient>().SendTextMessageAsync(new SmsText { DestinationPhoneNumber = "+15551234567", MessageBody = "x" }, default);

        Assert.False(result.IsSuccess);
        Assert.Equal(ProviderErrorKind.Permanent, result.Error.Kind);
        Assert.Equal("AccessDeniedException", result.Error.Code);
        Assert.False(Assert.Single(_fixture.Received).SignatureValid);
    }

    [Fact]
    public async Task A_field_the_service_would_refuse_is_a_permanent_validation_error()
    {
        var context = Enumerable.Range(0, 6).ToDictionary(i => $"k{i}", i => "v");

        var result = await Sms.SendTextMessageAsync(new SmsText { DestinationPhoneNumber = "+15551234567", MessageBody = "x", Context = context }, default);

        Assert.False(result.IsSuccess);
        Assert.Equal("ValidationException", result.Error.Code);
        Assert.Equal("FIELD_VALIDATION_FAILED", result.Error.Reason);
        Assert.Equal(ProviderErrorKind.Permanent, result.Error.Kind);
    }

    [Fact]
    public async Task An_opted_out_number_is_permanent_and_names_the_reason()
    {
        _fixture.Script(ScriptedResponse.Json10Error(400, "ConflictException", "The destination phone number is opted out.", SmsClient.OptedOutReason));

        var result = await Sms.SendTextMessageAsync(new SmsText { DestinationPhoneNumber = "+15551234567", MessageBody = "x" }, default);

        Assert.Equal(ProviderErrorKind.Permanent, result.Error!.Kind);
        Assert.Equal("ConflictException", result.Error.Code);
        Assert.Equal(SmsClient.OptedOutReason, result.Error.Reason);
        Assert.Equal("The destination phone number is opted out.", result.Error.Message);
    }
}

using System.Text.Json;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws.Ses;

public sealed class SesClientTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IDisposable
{
    private readonly ServiceProvider _services = AwsTestServices.Create(ses: peers.SesEndpoint);

    private SesClient Ses => _services.GetRequiredService<SesClient>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task An_email_with_html_text_a_correlation_header_and_tags_arrives_in_the_peers_store()
    {
        var correlationId = $"order-{Guid.NewGuid():N}";
        var email = new SesEmail
        {
            From = "Shop <shop@example.com>",
            To = ["ana@example.com"],
            ReplyTo = ["help@example.com"],
            Subject = "Your order has shipped — ça arrive",
            Html = "<p>Hello <b>Ana</b></p>",
            Text = "Hello Ana",
            Headers = [new("X-Correlation-ID", correlationId)],
            Tags = new Dictionary<string, string> { ["messageId"] = correlationId, ["campaign"] = "fall" },
            ConfigurationSetName = "transactional",
        };

        var result = await Ses.SendEmailAsync(email, default);

        Assert.True(result.IsSuccess, result.ToString());
        var stored = Assert.Single(await peers.StoredEmailsAsync(), e => e.GetProperty("messageId").GetString() == result.Value);
        Assert.Equal("Shop <shop@example.com>", stored.GetProperty("from").GetString());
        Assert.Equal("ana@example.com", stored.GetProperty("destination").GetProperty("to")[0].GetString());
        Assert.Equal("Your order has shipped — ça arrive", stored.GetProperty("subject").GetString());
        Assert.Equal("<p>Hello <b>Ana</b></p>", stored.GetProperty("body").GetProperty("html").GetString());
        Assert.Equal("Hello Ana", stored.GetProperty("body").GetProperty("text").GetString());
        var header = Assert.Single(stored.GetProperty("headers").EnumerateArray());
        Assert.Equal("X-Correlation-ID", header.GetProperty("name").GetString());
        Assert.Equal(correlationId, header.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Tags_and_configuration_set_go_on_the_wire_in_the_SendEmail_shape()
    {
        // The peer accepts but does not store tags, so the wire body is read as it left.
        var recorder = new RecordingHandler();
        using var services = AwsTestServices.Create(ses: peers.SesEndpoint, configureHttp: recorder);
        var email = new SesEmail
        {
            From = "shop@example.com",
            To = ["ana@example.com"],
            Subject = "s",
            Text = "t",
            Tags = new Dictionary<string, string> { ["messageId"] = "m-1" },
            ConfigurationSetName = "marketing",
        };

        Assert.True((await services.GetRequiredService<SesClient>().SendEmailAsync(email, default)).IsSuccess);

        var sent = Assert.Single(recorder.Requests);
        Assert.Equal("POST /v2/email/outbound-emails", $"{sent.Method} {sent.Path}");
        Assert.Equal("application/json", sent.ContentType);
        using var body = JsonDocument.Parse(sent.Body);
        Assert.Equal("""[{"Name":"messageId","Value":"m-1"}]""", body.RootElement.GetProperty("EmailTags").GetRawText());
        Assert.Equal("marketing", body.RootElement.GetProperty("ConfigurationSetName").GetString());
        Assert.Equal("t", body.RootElement.GetProperty("Content").GetProperty("Simple").GetProperty("Body").GetProperty("Text").GetProperty("Data").GetString());
        Assert.False(body.RootElement.GetProperty("Content").GetProperty("Simple").GetProperty("Body").TryGetProperty("Html", out _));
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDSMSFIXTURE/", sent.Authorization, StringComparison.Ordinal);
        Assert.Contains("/us-east-1/ses/aws4_request", sent.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAccount_returns_the_peers_quota()
    {
        var account = (await Ses.GetAccountAsync(default)).Value;

        Assert.Equal(peers.SesMaxSendRate, account.MaxSendRate);
        Assert.Equal(50_000, account.Max24HourSend);
        Assert.True(account.SendingEnabled);
        Assert.Equal("HEALTHY", account.EnforcementStatus);
    }

    [Fact]
    public async Task A_request_the_peer_refuses_is_a_permanent_error()
    {
        var result = await Ses.SendEmailAsync(new SesEmail { From = string.Empty, To = ["ana@example.com"], Subject = "s", Text = "t" }, default);

        Assert.False(result.IsSuccess);
        Assert.Equal(ProviderErrorKind.Permanent, result.Error.Kind);
        Assert.Equal(400, result.Error.HttpStatus);
    }
}

namespace Messaging.Engine.Aws.Ses;

/// <summary>Amazon SES v2 over REST-JSON: <c>SendEmail</c> with Simple content, and <c>GetAccount</c>.</summary>
public sealed class SesClient(AwsJsonTransport transport)
{
    /// <summary>Most custom headers SES accepts on one message.</summary>
    public const int MaxHeaders = 15;

    /// <summary>Sends one email and returns SES's message id.</summary>
    public async Task<AwsResult<string>> SendEmailAsync(SesEmail email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (email.Html is null && email.Text is null)
        {
            throw new ArgumentException("An email needs an HTML or a text body.", nameof(email));
        }

        if (email.Headers is { Count: > MaxHeaders })
        {
            throw new ArgumentException($"SES accepts at most {MaxHeaders} custom headers.", nameof(email));
        }

        var content = new SesContent(new SesSimpleContent(
            new SesContentPart(email.Subject),
            new SesBody(email.Html is null ? null : new SesContentPart(email.Html), email.Text is null ? null : new SesContentPart(email.Text)),
            email.Headers?.Select(h => new SesHeader(h.Key, h.Value)).ToArray()));
        var request = new SendEmailRequest(
            email.From,
            new SesDestination(email.To),
            email.ReplyTo,
            content,
            email.Tags?.Select(t => new SesTag(t.Key, t.Value)).ToArray(),
            email.ConfigurationSetName);
        var result = await transport.SendRestJsonAsync(
            AwsService.SesV2,
            HttpMethod.Post,
            "/v2/email/outbound-emails",
            request,
            SesJsonContext.Default.SendEmailRequest,
            SesJsonContext.Default.SendEmailResponse,
            cancellationToken).ConfigureAwait(false);
        return result.Map<string>(response => response.MessageId);
    }

    /// <summary>The account's sending quota and status.</summary>
    public async Task<AwsResult<SesAccount>> GetAccountAsync(CancellationToken cancellationToken)
    {
        var result = await transport.SendRestJsonAsync<NoBody, GetAccountResponse>(
            AwsService.SesV2,
            HttpMethod.Get,
            "/v2/email/account",
            null,
            SesJsonContext.Default.NoBody,
            SesJsonContext.Default.GetAccountResponse,
            cancellationToken).ConfigureAwait(false);
        if (!result.TryGetValue(out var response, out var error))
        {
            return AwsResult<SesAccount>.Failure(error);
        }

        if (response.SendQuota is not { } quota)
        {
            return AwsResult<SesAccount>.Failure(new ProviderError(AwsService.SesV2, ProviderErrorKind.Transient, "MalformedResponse", "GetAccount answered without a SendQuota."));
        }

        return AwsResult<SesAccount>.Success(new SesAccount(
            quota.MaxSendRate, quota.Max24HourSend, quota.SentLast24Hours, response.SendingEnabled, response.ProductionAccessEnabled, response.EnforcementStatus));
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Microsoft.AspNetCore.Http;

namespace Messaging.SmsPeer;

/// <summary>
/// Checks a request's SigV4 signature as AWS does: the canonical request is rebuilt here from what arrived (built from
/// the specification); its payload hash, signing key and signature come from AWSSDK.Core's signer, never our own crypto.
/// Used by the SMS peer and by the tests' provider simulator.
/// </summary>
public static partial class SigV4Verification
{
    /// <summary>Why the signature fails, or null when it holds.</summary>
    /// <param name="headers">The request's headers, names lower-cased.</param>
    /// <param name="mustSign">Headers the signature must cover besides host and x-amz-date.</param>
    public static string? Problem(
        HttpRequest request, IReadOnlyDictionary<string, string> headers, string body, string service,
        string accessKey, string secretKey, string region, params string[] mustSign)
    {
        if (!headers.TryGetValue("authorization", out var authorization))
        {
            return "Missing Authentication Token";
        }

        var match = AuthorizationPattern().Match(authorization);
        if (!match.Success)
        {
            return $"Authorization header is not SigV4: {authorization}";
        }

        var (key, date, scopeRegion, scopeService, signedHeaders, signature) =
            (match.Groups["key"].Value, match.Groups["date"].Value, match.Groups["region"].Value, match.Groups["service"].Value, match.Groups["signed"].Value, match.Groups["sig"].Value);
        if (key != accessKey || scopeRegion != region || scopeService != service)
        {
            return $"credential scope {key}/{scopeRegion}/{scopeService} is not {accessKey}/{region}/{service}";
        }

        if (!headers.TryGetValue("x-amz-date", out var amzDate) || !amzDate.StartsWith(date, StringComparison.Ordinal))
        {
            return "X-Amz-Date is missing or does not match the credential scope date";
        }

        var names = signedHeaders.Split(';');
        foreach (var required in mustSign.Append("host").Append("x-amz-date"))
        {
            if (!names.Contains(required))
            {
                return $"{required} is not signed";
            }
        }

        var canonical = new StringBuilder()
            .Append(request.Method).Append('\n')
            .Append(request.Path.HasValue ? request.Path.Value : "/").Append('\n')
            .Append(request.QueryString.HasValue ? request.QueryString.Value![1..] : string.Empty).Append('\n');
        foreach (var name in names)
        {
            var value = headers.GetValueOrDefault(name) ?? string.Empty;
            canonical.Append(name).Append(':').Append(WhitespaceRuns().Replace(value.Trim(), " ")).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n')
            .Append(Convert.ToHexStringLower(AWS4Signer.ComputeHash(body)));
        var signedAt = DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var expected = AWS4Signer.ComputeSignature(new ImmutableCredentials(accessKey, secretKey, null), region, signedAt, service, signedHeaders, canonical.ToString());
        return expected.Signature == signature ? null : "The request signature we calculated does not match the signature you provided.";
    }

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, ?SignedHeaders=(?<signed>[a-z0-9;-]+), ?Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRuns();
}

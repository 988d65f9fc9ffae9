using System.Globalization;
using System.Security.Cryptography;
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
    /// <summary>How far X-Amz-Date may be from the verifier's clock, either way, as AWS allows.</summary>
    public static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(15);

    private const string AmzDateFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Why the signature fails, or null when it holds.</summary>
    /// <param name="headers">The request's headers, names lower-cased.</param>
    /// <param name="clock">The verifier's clock, which X-Amz-Date must be within <see cref="AllowedSkew"/> of.</param>
    /// <param name="mustSign">Headers the signature must cover besides host and x-amz-date.</param>
    public static string? Problem(
        HttpRequest request, IReadOnlyDictionary<string, string> headers, string body, string service,
        string accessKey, string secretKey, string region, TimeProvider clock, params string[] mustSign)
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

        if (!DateTime.TryParseExact(amzDate, AmzDateFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return $"X-Amz-Date '{amzDate}' is not an ISO 8601 basic time (yyyyMMddTHHmmssZ)";
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if ((now - signedAt).Duration() > AllowedSkew)
        {
            return $"Signature expired: {amzDate} is more than {AllowedSkew.TotalMinutes:0} minutes from {now.ToString(AmzDateFormat, CultureInfo.InvariantCulture)}";
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
            .Append(CanonicalQuery(request.Query)).Append('\n');
        foreach (var name in names)
        {
            var value = headers.GetValueOrDefault(name) ?? string.Empty;
            canonical.Append(name).Append(':').Append(WhitespaceRuns().Replace(value.Trim(), " ")).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n')
            .Append(Convert.ToHexStringLower(AWS4Signer.ComputeHash(body)));
        var expected = AWS4Signer.ComputeSignature(new ImmutableCredentials(accessKey, secretKey, null), region, signedAt, service, signedHeaders, canonical.ToString());
        // Constant time: how far a guess matches must not show in how long the refusal takes.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected.Signature), Encoding.ASCII.GetBytes(signature))
            ? null
            : "The request signature we calculated does not match the signature you provided.";
    }

    /// <summary>The query as SigV4 signs it: each name and value URI-encoded, sorted by name then value, joined by '&amp;'.</summary>
    private static string CanonicalQuery(IQueryCollection query) =>
        string.Join('&', query
            .SelectMany(p => p.Value.Count == 0 ? [string.Empty] : p.Value.Select(v => v ?? string.Empty), (p, v) => (Name: Uri.EscapeDataString(p.Key), Value: Uri.EscapeDataString(v)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, ?SignedHeaders=(?<signed>[a-z0-9;-]+), ?Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRuns();
}

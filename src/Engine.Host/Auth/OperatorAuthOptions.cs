namespace Messaging.Host.Auth;

/// <summary>
/// Who may use the operator API. Section <c>Host:Auth</c>. Tokens are JWTs signed with HS256 (a shared secret) or
/// RS256 (public keys in PEM files); each carries <c>aud</c>, <c>exp</c> and a <c>role</c> claim (<c>reader</c> or
/// <c>operator</c>). Without a key configured, every protected endpoint answers 401 and says so.
/// </summary>
public sealed class OperatorAuthOptions
{
    public const string SectionName = "Host:Auth";

    /// <summary>The <c>aud</c> a token must carry. Default <c>messaging-engine</c>.</summary>
    public string Audience { get; set; } = "messaging-engine";

    /// <summary>The <c>iss</c> a token must carry; null accepts any issuer.</summary>
    public string? Issuer { get; set; }

    /// <summary>HS256 shared secret (at least 32 bytes of UTF-8). Prefer <see cref="SigningKeyFile"/> in production.</summary>
    public string? SigningKey { get; set; }

    /// <summary>A file holding the HS256 shared secret (trimmed).</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>PEM files with RSA public keys: tokens signed RS256 by any of their private keys are accepted.</summary>
    public List<string> RsaPublicKeyFiles { get; set; } = [];

    /// <summary>
    /// True lets <c>GET /health/ready</c> answer without a token, for probes that cannot send one (its body names the
    /// failing dependency, which is why it is protected by default). Liveness never needs one.
    /// </summary>
    public bool AnonymousReadiness { get; set; }

    /// <summary>Leeway for clocks that disagree. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The shared secret, from the setting or the file; null when neither is set.</summary>
    public string? Secret(string contentRoot) =>
        SigningKey is { Length: > 0 } key ? key
        : SigningKeyFile is { Length: > 0 } file ? File.ReadAllText(Path.Combine(contentRoot, file)).Trim()
        : null;
}

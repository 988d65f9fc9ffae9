using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Testing;

/// <summary>Signs operator-API tokens for tests, with the library the host validates them with.</summary>
public static class OperatorTokens
{
    /// <summary>The HS256 secret test hosts are configured with.</summary>
    public const string Secret = "test-secret-that-is-at-least-32-bytes-long";

    public const string Audience = "messaging-engine";

    public static string Hs256(string role, string subject = "ops@example.com", string audience = Audience, TimeSpan? lifetime = null,
        string secret = Secret, DateTime? notBefore = null, string? issuer = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("role", role)]),
            Audience = audience,
            Issuer = issuer,
            IssuedAt = (notBefore ?? now).AddMinutes(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = (notBefore ?? now) + (lifetime ?? TimeSpan.FromMinutes(10)),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        });
    }

    public static string Rs256(RSA key, string role, string subject = "ops@example.com") =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("role", role)]),
            Audience = Audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "ops" }, SecurityAlgorithms.RsaSha256),
        });

    /// <summary>
    /// A token put together by hand, as an attacker would: <paramref name="header"/> and <paramref name="payload"/> are
    /// JSON, <paramref name="sign"/> signs the encoded <c>header.payload</c> (null leaves the signature empty).
    /// </summary>
    public static string Forge(string header, string payload, Func<byte[], byte[]>? sign)
    {
        var signed = $"{Base64UrlEncoder.Encode(header)}.{Base64UrlEncoder.Encode(payload)}";
        return $"{signed}.{(sign is null ? "" : Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(signed))))}";
    }

    /// <summary>The claims of a reader's token as JSON, expiring <paramref name="expiresIn"/> from now (no <c>exp</c> at all unless <paramref name="withExpiry"/>).</summary>
    public static string Claims(string? role = "reader", TimeSpan? expiresIn = null, bool withExpiry = true)
    {
        var exp = DateTimeOffset.UtcNow.Add(expiresIn ?? TimeSpan.FromMinutes(10)).ToUnixTimeSeconds();
        var roleClaim = role is null ? "" : $",\"role\":\"{role}\"";
        var expiry = withExpiry ? $",\"exp\":{exp}" : "";
        return $"{{\"sub\":\"ops@example.com\",\"aud\":\"{Audience}\"{roleClaim}{expiry}}}";
    }
}

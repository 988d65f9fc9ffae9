using System.Security.Claims;
using System.Text;
using Messaging.Host.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Host.Cli;

/// <summary>Signs operator-API tokens (HS256) with the configured secret, as <c>engine token</c> prints them.</summary>
internal static class OperatorTokenSigner
{
    /// <summary>The configured HS256 secret, or null when there is none long enough to sign with.</summary>
    public static string? Secret(IConfiguration configuration, out OperatorAuthOptions settings)
    {
        settings = new OperatorAuthOptions();
        configuration.GetSection(OperatorAuthOptions.SectionName).Bind(settings);
        return settings.Secret(Directory.GetCurrentDirectory()) is { } secret && Encoding.UTF8.GetByteCount(secret) >= 32 ? secret : null;
    }

    public static string Sign(OperatorAuthOptions settings, string secret, string role, string subject, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim(OperatorRoles.RoleClaim, role)]),
            Audience = settings.Audience,
            Issuer = settings.Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        });
    }
}

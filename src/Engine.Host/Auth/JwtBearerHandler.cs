using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Host.Auth;

/// <summary>
/// Bearer authentication with <c>Microsoft.IdentityModel.JsonWebTokens</c> (ASP.NET Core's JwtBearer package does
/// not restore from this project's registry; it wraps the same handler). Signature, lifetime, audience and issuer are
/// checked by the library; a refusal says why, in a Problem Details body.
/// </summary>
internal sealed class JwtBearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    OperatorTokenValidation validation) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private const string FailureKey = "auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            // Not a failure (anonymous endpoints see this on every call); a protected endpoint's challenge says why.
            Context.Items[FailureKey] = "no bearer token: send 'Authorization: Bearer <JWT>'";
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("the Authorization header is not 'Bearer <JWT>'");
        }

        if (validation.Parameters is not { } parameters)
        {
            return Fail($"authentication is not configured: set {OperatorAuthOptions.SectionName}:SigningKey, SigningKeyFile or RsaPublicKeyFiles");
        }

        var token = header["Bearer ".Length..].Trim();
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return Fail(Describe(result.Exception, token));
        }

        var identity = new ClaimsIdentity(result.ClaimsIdentity.Claims, SchemeName, "sub", OperatorRoles.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items.TryGetValue(FailureKey, out var failure) ? (string)failure! : "a bearer token is required";
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not authenticated", detail: reason)
            .ExecuteAsync(Context).ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var role = Context.User.FindFirst(OperatorRoles.RoleClaim)?.Value ?? "none";
        await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
                detail: $"this needs the '{OperatorRoles.Operator}' role; the token's role is '{role}'")
            .ExecuteAsync(Context).ConfigureAwait(false);
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    private static string Describe(Exception? e, string token) => e switch
    {
        SecurityTokenExpiredException expired => $"the token expired at {expired.Expires:u}",
        SecurityTokenNotYetValidException early => $"the token is not valid before {early.NotBefore:u}",
        SecurityTokenInvalidAudienceException => $"the token is for audience '{string.Join(", ", new JsonWebToken(token).Audiences)}', not this engine",
        SecurityTokenInvalidIssuerException issuer => $"the token's issuer '{issuer.InvalidIssuer}' is not accepted",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "the token's signature does not verify with any configured key",
        SecurityTokenNoExpirationException => "the token has no expiry ('exp'); tokens must expire",
        SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not accepted (HS256 or RS256)",
        SecurityTokenMalformedException or ArgumentException => "the token is not a well-formed JWT",
        null => "the token was refused",
        _ => $"the token was refused: {e.Message}",
    };
}

/// <summary>The validation parameters built once from <see cref="OperatorAuthOptions"/>; null when no key is configured.</summary>
internal sealed class OperatorTokenValidation
{
    public OperatorTokenValidation(IOptions<OperatorAuthOptions> options, IHostEnvironment environment)
    {
        var settings = options.Value;
        var keys = new List<SecurityKey>();
        if (settings.Secret(environment.ContentRootPath) is { } secret)
        {
            var bytes = Encoding.UTF8.GetBytes(secret);
            if (bytes.Length < 32)
            {
                throw new InvalidOperationException($"{OperatorAuthOptions.SectionName}: the HS256 signing key must be at least 32 bytes.");
            }

            keys.Add(new SymmetricSecurityKey(bytes) { KeyId = "hs256" });
        }

        foreach (var file in settings.RsaPublicKeyFiles)
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(Path.Combine(environment.ContentRootPath, file)));
            keys.Add(new RsaSecurityKey(rsa) { KeyId = Path.GetFileNameWithoutExtension(file) });
        }

        Parameters = keys.Count == 0 ? null : new TokenValidationParameters
        {
            ValidAudience = settings.Audience,
            ValidateAudience = true,
            ValidIssuer = settings.Issuer,
            ValidateIssuer = settings.Issuer is not null,
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
            RoleClaimType = OperatorRoles.RoleClaim,
            NameClaimType = "sub",
        };
    }

    public TokenValidationParameters? Parameters { get; }
}

using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Host.Auth;

/// <summary>
/// Bearer authentication for the operator API with ASP.NET Core's JwtBearer handler: the library checks signature,
/// algorithm, lifetime, audience and issuer; the events here only turn each refusal into a Problem Details body that
/// says what to change.
/// </summary>
internal static partial class OperatorAuthentication
{
    public const string SchemeName = JwtBearerDefaults.AuthenticationScheme;

    private const string FailureKey = "auth.failure";
    private const string Refused = "the token was refused";
    private const string NoToken = "no bearer token: send 'Authorization: Bearer <JWT>'";

    public static IServiceCollection AddOperatorAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperatorAuthOptions>().Bind(configuration.GetSection(OperatorAuthOptions.SectionName));
        services.AddSingleton<OperatorTokenValidation>();
        services.AddHostedService(provider => provider.GetRequiredService<OperatorTokenValidation>());
        services.AddAuthentication(SchemeName).AddJwtBearer(SchemeName);
        services.AddOptions<JwtBearerOptions>(SchemeName).Configure<OperatorTokenValidation>((options, validation) =>
        {
            // Claims keep their JWT names ("sub", "role"), which the policies and the audit trail use.
            options.MapInboundClaims = false;
            // Without a key no token reaches validation: MessageReceived refuses first.
            options.TokenValidationParameters = validation.Parameters ?? new TokenValidationParameters();
            options.Events = new JwtBearerEvents
            {
                OnMessageReceived = context => ReadToken(context, validation),
                OnAuthenticationFailed = context =>
                {
                    var reason = Describe(context.Exception, BearerToken(context.Request));
                    if (reason == Refused)
                    {
                        // The library's own text stays in the log: it is for the operator, not the unauthenticated caller.
                        TokenRefused(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OperatorAuthentication)),
                            context.Exception);
                    }

                    context.HttpContext.Items[FailureKey] = reason;
                    return Task.CompletedTask;
                },
                OnChallenge = ChallengeAsync,
                OnForbidden = ForbiddenAsync,
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorRoles.ReadPolicy, policy => policy.RequireRole(OperatorRoles.Reader, OperatorRoles.Operator))
            .AddPolicy(OperatorRoles.WritePolicy, policy => policy.RequireRole(OperatorRoles.Operator));
        return services;
    }

    private static Task ReadToken(MessageReceivedContext context, OperatorTokenValidation validation)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (validation.Parameters is null)
        {
            context.Fail(Refuse(context.HttpContext, OperatorTokenValidation.NotConfigured));
        }
        else if (header.Length == 0)
        {
            // Not a failure (anonymous endpoints see this on every call); a protected endpoint's challenge says why.
            context.HttpContext.Items[FailureKey] = NoToken;
            context.NoResult();
        }
        else if (BearerToken(context.Request) is not { Length: > 0 } token)
        {
            context.Fail(Refuse(context.HttpContext, "the Authorization header is not 'Bearer <JWT>'"));
        }
        else
        {
            context.Token = token;
        }

        return Task.CompletedTask;
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string Refuse(HttpContext context, string reason)
    {
        context.Items[FailureKey] = reason;
        return reason;
    }

    private static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var reason = context.HttpContext.Items.TryGetValue(FailureKey, out var failure) && failure is string text ? text : NoToken;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not authenticated", detail: reason)
            .ExecuteAsync(context.HttpContext).ConfigureAwait(false);
    }

    /// <summary>Names the role the endpoint needs: <c>operator</c> to change things, <c>reader</c> (or operator) to look.</summary>
    private static async Task ForbiddenAsync(ForbiddenContext context)
    {
        var policies = context.HttpContext.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy) ?? [];
        var needs = policies.Contains(OperatorRoles.WritePolicy)
            ? $"the '{OperatorRoles.Operator}' role"
            : $"the '{OperatorRoles.Reader}' role (or '{OperatorRoles.Operator}')";
        var role = context.HttpContext.User.FindFirst(OperatorRoles.RoleClaim)?.Value;
        var has = role is null ? $"the token has no '{OperatorRoles.RoleClaim}' claim" : $"the token's role is '{role}'";
        await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: $"this needs {needs}; {has}")
            .ExecuteAsync(context.HttpContext).ConfigureAwait(false);
    }

    private static JsonWebToken? Parse(string? token)
    {
        try
        {
            return token is not null ? new JsonWebToken(token) : null;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null; // Described below as not well formed.
        }
    }

    private static string Describe(Exception? e, string? token)
    {
        // The library reports a refused algorithm as a signature that found no key: say what the sender must change.
        var parsed = Parse(token);
        if (parsed is not null && !OperatorTokenValidation.AcceptedAlgorithms.Contains(parsed.Alg, StringComparer.Ordinal))
        {
            return $"the token's signing algorithm '{parsed.Alg}' is not accepted (HS256 or RS256)";
        }

        return e switch
        {
            SecurityTokenExpiredException expired => $"the token expired at {expired.Expires:u}",
            SecurityTokenNotYetValidException early => $"the token is not valid before {early.NotBefore:u}",
            SecurityTokenInvalidAudienceException => $"the token is for audience '{string.Join(", ", parsed?.Audiences ?? [])}', not this engine",
            SecurityTokenInvalidIssuerException issuer => $"the token's issuer '{issuer.InvalidIssuer}' is not accepted",
            SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "the token's signature does not verify with any configured key",
            SecurityTokenNoExpirationException => "the token has no expiry ('exp'); tokens must expire",
            SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not accepted (HS256 or RS256)",
            SecurityTokenMalformedException or ArgumentException => "the token is not a well-formed JWT",
            _ => Refused,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "An operator token was refused for a reason the caller is not told")]
    private static partial void TokenRefused(ILogger logger, Exception exception);
}

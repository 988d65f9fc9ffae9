using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Host.Auth;

/// <summary>
/// The validation parameters built once from <see cref="OperatorAuthOptions"/>; null when no key is configured. Built at
/// start-up (it is a hosted service), so a short or unreadable key stops the engine there, and a missing key is said once.
/// </summary>
internal sealed partial class OperatorTokenValidation : IHostedService
{
    private readonly ILogger<OperatorTokenValidation> _logger;

    public OperatorTokenValidation(IOptions<OperatorAuthOptions> options, IHostEnvironment environment, ILogger<OperatorTokenValidation> logger)
    {
        _logger = logger;
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
            // Each key only verifies its own algorithm, so an HS256 token "signed" with an RSA public key finds no key.
            ValidAlgorithms = AcceptedAlgorithms,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
            RoleClaimType = OperatorRoles.RoleClaim,
            NameClaimType = "sub",
        };
    }

    /// <summary>The only signing algorithms a token may use.</summary>
    public static IReadOnlyList<string> AcceptedAlgorithms { get; } = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256];

    public TokenValidationParameters? Parameters { get; }

    /// <summary>Why every protected endpoint refuses, when no key is configured.</summary>
    public static string NotConfigured =>
        $"authentication is not configured: set {OperatorAuthOptions.SectionName}:SigningKey, SigningKeyFile or RsaPublicKeyFiles";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Parameters is null)
        {
            LogClosed(NotConfigured);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The operator API is closed, every protected endpoint answers 401: {Reason}")]
    private partial void LogClosed(string reason);
}

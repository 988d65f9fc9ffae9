using System.CommandLine;
using System.Security.Claims;
using System.Text;
using Messaging.Host.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messaging.Host.Cli;

/// <summary>
/// <c>engine token --role operator</c>: signs an operator-API token with the configured HS256 secret
/// (<c>Host:Auth:SigningKey</c> or <c>SigningKeyFile</c>), for scripts and for trying the API. RS256 tokens come from
/// whoever holds the private key.
/// </summary>
internal static class TokenCommand
{
    public static Command Build(EngineCommands.CliContext cli)
    {
        var role = new Option<string>("--role") { Description = "reader or operator.", DefaultValueFactory = _ => OperatorRoles.Reader };
        var subject = new Option<string>("--subject") { Description = "Who the token is for (recorded with what they change).", DefaultValueFactory = _ => Environment.UserName };
        var lifetime = new Option<TimeSpan>("--ttl") { Description = "How long it is valid, e.g. 01:00:00.", DefaultValueFactory = _ => TimeSpan.FromHours(1) };
        var command = new Command("token", "Print a signed operator-API token (HS256, from the configured secret).") { role, subject, lifetime };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var roleName = parse.GetValue(role)!;
            if (roleName is not (OperatorRoles.Reader or OperatorRoles.Operator))
            {
                await cli.Error.WriteLineAsync($"engine token: --role must be '{OperatorRoles.Reader}' or '{OperatorRoles.Operator}'.");
                return EngineCommands.BadInput;
            }

            await using var services = cli.Services();
            var settings = new OperatorAuthOptions();
            services.GetRequiredService<IConfiguration>().GetSection(OperatorAuthOptions.SectionName).Bind(settings);
            if (settings.Secret(Directory.GetCurrentDirectory()) is not { } secret || Encoding.UTF8.GetByteCount(secret) < 32)
            {
                await cli.Error.WriteLineAsync($"engine token: no signing key: set {OperatorAuthOptions.SectionName}__SigningKeyFile (or SigningKey, at least 32 bytes); " +
                    $"scripts/run-local.sh keeps one in data/operator-signing-key and records it in {LocalSettings.RelativePath}.");
                return EngineCommands.BadInput;
            }

            var now = DateTime.UtcNow;
            cli.Output.WriteLine(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Subject = new ClaimsIdentity([new Claim("sub", parse.GetValue(subject)!), new Claim(OperatorRoles.RoleClaim, roleName)]),
                Audience = settings.Audience,
                Issuer = settings.Issuer,
                IssuedAt = now,
                NotBefore = now,
                Expires = now + parse.GetValue(lifetime),
                SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
            }));
            return EngineCommands.Done;
        });
        return command;
    }
}

using System.CommandLine;
using Messaging.Host.Auth;

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
            if (OperatorTokenSigner.Secret(services.GetRequiredService<IConfiguration>(), out var settings) is not { } secret)
            {
                await cli.Error.WriteLineAsync($"engine token: no signing key: set {OperatorAuthOptions.SectionName}__SigningKeyFile (or SigningKey, at least 32 bytes); " +
                    $"scripts/run-local.sh keeps one in data/operator-signing-key and records it in {LocalSettings.RelativePath}.");
                return EngineCommands.BadInput;
            }

            cli.Output.WriteLine(OperatorTokenSigner.Sign(settings, secret, roleName, parse.GetValue(subject)!, parse.GetValue(lifetime)));
            return EngineCommands.Done;
        });
        return command;
    }
}

using System.CommandLine;
using System.Text.Json;
using Messaging.Engine.Membership;

namespace Messaging.Host.Cli;

/// <summary><c>engine cluster</c>: the Akka cluster as a running node sees it, from its operator API.</summary>
internal static class ClusterCommand
{
    private const string Name = "engine cluster";

    public static Command Build(EngineCommands.CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("cluster", "The cluster as a running node sees it: members, their status, the leader, unreachable nodes, shards.")
        {
            RunningEngine.UrlOption(), RunningEngine.TokenOption(), json,
        };
        command.SetAction((parse, ct) => RunningEngine.CallAsync(cli, parse, Name, Auth.OperatorRoles.Reader, subject: null, async api =>
        {
            using var response = await api.GetAsync(new Uri("/cluster", UriKind.Relative), ct);
            var (view, exitCode) = await RunningEngine.ReadAsync<ClusterView>(cli, Name, response, ct);
            if (view is null)
            {
                return exitCode;
            }

            if (parse.GetValue(json))
            {
                cli.Output.WriteLine(JsonSerializer.Serialize(view, CliText.Json));
                return EngineCommands.Done;
            }

            Write(cli.Output, view);
            return EngineCommands.Done;
        }, ct));
        return command;
    }

    private static void Write(TextWriter output, ClusterView view)
    {
        output.WriteLine($"self: {view.Self}; leader: {view.Leader ?? "none (not converged)"}");
        CliTable.Write(output, ["MEMBER", "STATUS", "REACHABLE", "UP SINCE", "ROLES"], view.Members.Select(m => new[]
        {
            m.Address + (m.Address == view.Leader ? " (leader)" : ""), m.Status, m.Reachable ? "yes" : "NO", m.UpSince?.ToString("u") ?? "", string.Join(",", m.Roles),
        }));
        if (view.Unreachable.Count > 0)
        {
            output.WriteLine($"unreachable: {string.Join(", ", view.Unreachable)}");
        }

        if (view.Shards.Count > 0)
        {
            CliTable.Write(output, ["NODE", "SHARDS", "ENTITIES"], view.Shards.Select(s => new[]
            {
                s.Address, s.Shards.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Entities.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));
        }
    }
}

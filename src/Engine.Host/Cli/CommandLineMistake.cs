using System.CommandLine;
using System.CommandLine.Parsing;

namespace Messaging.Host.Cli;

/// <summary>A command line that does not parse, said in one line: what is wrong, a likely meant command, where help is.</summary>
internal static class CommandLineMistake
{
    public static string Describe(ParseResult parsed)
    {
        var command = CommandPath(parsed.CommandResult);
        var problems = string.Join(" ", parsed.Errors.Select(e => e.Message.TrimEnd('.') + ".").Distinct());
        var suggestion = parsed.UnmatchedTokens.Count > 0 && Closest(parsed.UnmatchedTokens[0], parsed.CommandResult.Command) is { } meant
            ? $" Did you mean '{command} {meant}'?"
            : "";
        return $"{command}: {problems}{suggestion} '{command} --help' shows the usage.";
    }

    /// <summary>The command as typed up to where parsing stopped, e.g. <c>engine templates preview</c>.</summary>
    public static string CommandPath(CommandResult result) =>
        result.Parent is CommandResult parent ? $"{CommandPath(parent)} {result.Command.Name}" : result.Command.Name;

    /// <summary>The subcommand or option of <paramref name="command"/> nearest to <paramref name="typed"/>, if one is near.</summary>
    private static string? Closest(string typed, Command command) =>
        command.Subcommands.Select(c => c.Name)
            .Concat(command.Options.Where(o => !o.Hidden).Select(o => o.Name))
            .Select(name => (Name: name, Distance: Distance(typed, name)))
            .Where(c => c.Distance <= Math.Max(1, c.Name.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();

    /// <summary>Edit distance (insertions, deletions, substitutions).</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}

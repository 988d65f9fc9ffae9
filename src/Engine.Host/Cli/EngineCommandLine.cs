namespace Messaging.Host.Cli;

/// <summary>What a command line asks of the host: the engine itself, or a one-shot command (help and mistakes included).</summary>
internal sealed record EngineCommandLine(EngineCommandLine.Invocation Kind, string[] HostArgs)
{
    internal enum Invocation
    {
        /// <summary><c>engine</c> alone, or <c>engine run …</c>: run the engine.</summary>
        Engine,

        /// <summary>A generic host's test factory calling the entry point with its settings as <c>--key=value</c>, and nothing else.</summary>
        TestHost,

        /// <summary>Anything else: a command, <c>--help</c>, or a mistake for the parser to report.</summary>
        Command,
    }

    public static EngineCommandLine Of(string[] args)
    {
        if (args.Length == 0)
        {
            return new(Invocation.Engine, args);
        }

        if (args.All(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)))
        {
            return new(Invocation.TestHost, args);
        }

        // `run --help` is help (an action), and a mistake after `run` that the parser catches is a mistake: only a clean `run` runs.
        if (args[0] == "run")
        {
            var parsed = EngineCommands.Build().Parse(args, EngineCommands.ParserConfiguration);
            if (parsed.Errors.Count == 0 && parsed.Action is null)
            {
                return new(Invocation.Engine, args[1..]);
            }
        }

        return new(Invocation.Command, args);
    }
}

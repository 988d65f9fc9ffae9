using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json.Nodes;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Serialization;
using Messaging.Contracts.Validation;
using Messaging.Engine;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Ingest;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Microsoft.Extensions.Options;

namespace Messaging.Host.Cli;

/// <summary>
/// The <c>engine</c> command line and its one-shot commands (<c>init</c>, <c>send</c>, and the others it adds). They use
/// the engine's own services and configuration, but start none of its background work. Exit codes: 0 done, 1 AWS or
/// storage refused or failed (or an unexpected error), 2 bad input (the README's table).
/// </summary>
internal static class EngineCommands
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    /// <summary>The name the help and every error message give the command, whatever the binary is called.</summary>
    public const string Name = "engine";

    private const string VerboseFlag = "--verbose";

    /// <summary>A one-shot command as the <c>engine</c> binary runs it: with <c>data/local.env</c> applied first.</summary>
    public static Task<int> MainAsync(string[] args)
    {
        LocalSettings.ApplyFound(engineRun: false);
        return InvokeAsync(args);
    }

    /// <summary>
    /// Parses and runs one command. A command line that does not parse exits 2 with the problem (and a suggestion for a
    /// mistyped command); an unexpected exception is one line on <paramref name="error"/> (the whole of it with
    /// <c>--verbose</c>) and exits 1.
    /// </summary>
    public static async Task<int> InvokeAsync(
        string[] args, Func<ServiceProvider>? services = null, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var verbose = args.Contains(VerboseFlag);
        error ??= Console.Error;
        var parsed = Build(services ?? (() => EngineServices.Build(verbose)), output, error).Parse(args, ParserConfiguration);
        if (parsed.Errors.Count > 0)
        {
            await error.WriteLineAsync(CommandLineMistake.Describe(parsed));
            return BadInput;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output ?? Console.Out, Error = error }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var command = CommandLineMistake.CommandPath(parsed.CommandResult);
            await error.WriteLineAsync(verbose ? $"{command}: {e}" : $"{command}: {CliText.OneLine(e.Message)} ({VerboseFlag} shows the details)");
            return Failed;
        }
    }

    /// <summary>Response files are off: <c>@FILE</c> is ours (<c>--data @FILE</c>), not the parser's.</summary>
    internal static ParserConfiguration ParserConfiguration { get; } = new() { ResponseFileTokenReplacer = null };

    /// <param name="services">The engine's services (by default from config/engine.json, data/local.env and the environment).</param>
    /// <param name="output">Where results go (standard output by default).</param>
    /// <param name="error">Where problems go (standard error by default).</param>
    public static Command Build(Func<ServiceProvider>? services = null, TextWriter? output = null, TextWriter? error = null)
    {
        var cli = new CliContext(services ?? (() => EngineServices.Build(verbose: false)), output ?? Console.Out, error ?? Console.Error);
        // A plain command rather than RootCommand, whose name is the binary's ("Engine.Host"); help and version are added as RootCommand would.
        var root = new Command(Name, "Messaging engine: sends requests from SQS as email (SES) and SMS (End User Messaging). " +
            "With no command it runs the engine.")
        {
            new HelpOption(),
            new VersionOption(),
            new Option<bool>(VerboseFlag) { Description = "Show the whole of an unexpected error (its stack trace).", Recursive = true },
        };
        root.SetAction(_ =>
        {
            // Reached only with options and no command (`engine --verbose`): `engine` alone runs the engine before parsing.
            cli.Error.WriteLine($"{Name}: no command given; '{Name} --help' lists them, '{Name} run' runs the engine.");
            return BadInput;
        });
        root.Subcommands.Add(new Command("run", "Run the engine (the default): take requests, send, serve the operator HTTP API. " +
            "ASP.NET Core options such as --urls pass through.") { TreatUnmatchedTokensAsErrors = false });
        root.Subcommands.Add(InitCommand(cli));
        root.Subcommands.Add(SendCommand(cli));
        root.Subcommands.Add(TemplateCommands.Build(cli));
        root.Subcommands.Add(TokenCommand.Build(cli));
        root.Subcommands.Add(ClusterCommand.Build(cli));
        foreach (var command in OperatorCommands.Build(cli))
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    /// <summary>What the commands share: how to get the engine's services, and where to write.</summary>
    internal sealed record CliContext(Func<ServiceProvider> Services, TextWriter Output, TextWriter Error)
    {
        /// <summary>
        /// Runs a command on the engine's services with the schema migrated (so it works on a fresh database). Hosts no
        /// actor: commands that change a recipient go through a running node's API. Storage that fails exits 1 with the
        /// reason after <paramref name="command"/>.
        /// </summary>
        public async Task<int> RunOnEngineAsync(string command, Func<ServiceProvider, Task<int>> work, CancellationToken cancellationToken)
        {
            await using var services = Services();
            try
            {
                await services.GetRequiredService<IJournal>().MigrateAsync(cancellationToken);
                return await work(services);
            }
            catch (JournalStorageException e)
            {
                await Error.WriteLineAsync($"{command}: {CliText.OneLine(e.Message)}");
                return Failed;
            }
        }
    }

    private static Command InitCommand(CliContext cli)
    {
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var init = new Command("init", "Create the request, feedback and dead-letter queues (DLQ: 14-day retention; request queues redrive to it). Safe to run again.")
        {
            json,
        };
        init.SetAction(async (parse, cancellationToken) =>
        {
            await using var services = cli.Services();
            var created = await services.GetRequiredService<QueueDirectory>().CreateAllAsync(cancellationToken);
            if (!created.TryGetValue(out var names, out var error))
            {
                await cli.Error.WriteLineAsync($"engine init: creating the queues failed: {error}");
                return Failed;
            }

            var queues = services.GetRequiredService<QueueDirectory>();
            var rows = new List<(string Name, string Url)>();
            foreach (var name in names)
            {
                rows.Add((name, (await queues.UrlOfAsync(name, cancellationToken)).Value));
            }

            if (parse.GetValue(json))
            {
                cli.Output.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Name, r => r.Url), CliJsonContext.Relaxed.DictionaryStringString));
            }
            else
            {
                var width = rows.Max(r => r.Name.Length);
                cli.Output.WriteLine($"{"QUEUE".PadRight(width)}  URL");
                rows.ForEach(r => cli.Output.WriteLine($"{r.Name.PadRight(width)}  {r.Url}"));
            }

            return Done;
        });
        return init;
    }

    private static Command SendCommand(CliContext cli)
    {
        var file = new Option<FileInfo?>("--file") { Description = "A request envelope (JSON) to send as it is." };
        var channel = new Option<string?>("--channel") { Description = "email (the default) or sms." };
        var to = new Option<string?>("--to") { Description = "Recipient: an email address, or an E.164 phone number." };
        var subject = new Option<string?>("--subject") { Description = "Email subject." };
        var text = new Option<string?>("--text") { Description = "Text body (email or SMS)." };
        var html = new Option<string?>("--html") { Description = "HTML body (email)." };
        var template = new Option<string?>("--template") { Description = "Template name, instead of --subject/--text/--html." };
        var data = new Option<string?>("--data") { Description = TemplateDataOption.Description };
        var from = new Option<string?>("--from") { Description = "Sender; defaults to the configured one." };
        var category = new Option<string?>("--category") { Description = "transactional (the default) or marketing." };
        var messageId = new Option<string?>("--message-id") { Description = "Idempotency key; a new one when omitted." };
        var queue = new Option<string?>("--queue") { Description = "Request queue name; the first configured one when omitted." };
        var noCheck = new Option<bool>("--no-check") { Description = "Queue without first checking the template and its data against the store." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var send = new Command("send", "Put a request on a request queue: from --file, or built from the options. " +
            "A template and its data are checked against the store first.")
        {
            file, channel, to, subject, text, html, template, data, from, category, messageId, queue, noCheck, json,
        };
        send.SetAction(async (parse, cancellationToken) =>
        {
            string body;
            if (parse.GetValue(file) is { } path)
            {
                if (!path.Exists)
                {
                    await cli.Error.WriteLineAsync($"engine send: {path.FullName} does not exist.");
                    return BadInput;
                }

                body = await File.ReadAllTextAsync(path.FullName, cancellationToken);
            }
            else
            {
                JsonElement? variables = null;
                if (parse.GetValue(data) is { } given)
                {
                    var (parsedData, problem) = await TemplateDataOption.ReadAsync(given, cancellationToken);
                    if (problem is not null)
                    {
                        await cli.Error.WriteLineAsync($"engine send: {problem}.");
                        return BadInput;
                    }

                    variables = parsedData;
                }

                // The option values go into the request as typed, so the request reader below judges them by the very
                // rules the engine applies ("emial" is refused here, not sent as an email).
                var templateName = parse.GetValue(template);
                var built = new JsonObject
                {
                    ["schema"] = MessageRequest.SchemaV1,
                    ["messageId"] = parse.GetValue(messageId) ?? $"cli-{Guid.NewGuid():N}",
                    ["channel"] = parse.GetValue(channel) ?? "email",
                    ["to"] = parse.GetValue(to) ?? "",
                };
                Add(built, "from", parse.GetValue(from));
                Add(built, "category", parse.GetValue(category));
                if (templateName is not null)
                {
                    built["template"] = templateName;
                    built["data"] = variables is { } v ? JsonNode.Parse(v.GetRawText()) : new JsonObject();
                }
                else
                {
                    var content = new JsonObject();
                    Add(content, "subject", parse.GetValue(subject));
                    Add(content, "text", parse.GetValue(text));
                    Add(content, "html", parse.GetValue(html));
                    built["content"] = content;
                }

                body = built.ToJsonString();
            }

            // The engine would dead-letter an invalid request: say so now instead.
            var read = RequestReader.Read(body, DateTimeOffset.UtcNow);
            if (!read.IsValid)
            {
                await cli.Error.WriteLineAsync($"engine send: the request is not valid: {string.Join("; ", read.Describe().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
                return BadInput;
            }

            var request = read.Request!;
            if (request.Template is { } name && !parse.GetValue(noCheck))
            {
                // The engine would reject an unknown template or missing data after queueing; refuse now instead.
                var checkedTemplate = await cli.RunOnEngineAsync("engine send", async services =>
                {
                    var problem = await TemplateCommands.CheckAsync(services, name, request.Channel, request.Data, cancellationToken);
                    if (problem is null)
                    {
                        return Done;
                    }

                    await cli.Error.WriteLineAsync($"engine send: {problem} (--no-check queues it anyway).");
                    return BadInput;
                }, cancellationToken);
                if (checkedTemplate != Done)
                {
                    return checkedTemplate;
                }
            }

            await using var services = cli.Services();
            var ingest = services.GetRequiredService<IOptions<IngestOptions>>().Value;
            var queueName = parse.GetValue(queue) ?? ingest.Queues[0].Name;
            var url = await services.GetRequiredService<QueueDirectory>().UrlOfAsync(queueName, cancellationToken);
            if (!url.TryGetValue(out var queueUrl, out var error))
            {
                await cli.Error.WriteLineAsync($"engine send: queue {queueName} is not available ({CliText.OneLine(error.ToString())}); run 'engine init' first.");
                return Failed;
            }

            var fifo = QueueDirectory.IsFifo(queueName);
            var sqs = services.GetRequiredService<IAmazonSQS>();
            var sent = await SqsErrors.TryAsync(ct => sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = queueUrl,
                MessageBody = body,
                // FIFO: one group per recipient keeps each recipient's requests in order.
                MessageGroupId = fifo ? RecipientKey.For(request.Channel, request.To).ToString() : null,
                MessageDeduplicationId = fifo ? request.MessageId : null,
            }, ct), cancellationToken);
            if (!sent.TryGetValue(out var message, out error))
            {
                await cli.Error.WriteLineAsync($"engine send: SQS refused the request: {CliText.OneLine(error.ToString())}");
                return Failed;
            }

            cli.Output.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new Dictionary<string, string> { ["messageId"] = request.MessageId, ["sqsMessageId"] = message.MessageId, ["queue"] = queueName }, CliJsonContext.Relaxed.DictionaryStringString)
                : $"Queued {request.MessageId} for {request.To} on {queueName} (SQS message {message.MessageId}).{Environment.NewLine}" +
                  $"Follow it with: engine message show {request.MessageId}");
            return Done;
        });
        return send;
    }

    private static void Add(JsonObject target, string name, string? value)
    {
        if (value is not null)
        {
            target[name] = value;
        }
    }
}

using System.CommandLine;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Serialization;
using Messaging.Contracts.Validation;
using Messaging.Engine;
using Messaging.Engine.Actors;
using Messaging.Engine.Aws.Sqs;
using Messaging.Engine.Ingest;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Microsoft.Extensions.Options;

namespace Messaging.Host.Cli;

/// <summary>
/// The one-shot commands (<c>engine init</c>, <c>engine send</c>). They use the engine's own services and
/// configuration, but start none of its background work. Exit codes: 0 done, 1 AWS refused or failed, 2 bad input.
/// </summary>
internal static class EngineCommands
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    /// <param name="services">The engine's services (by default from config/engine.json and the environment).</param>
    /// <param name="output">Where results go (standard output by default).</param>
    /// <param name="error">Where problems go (standard error by default).</param>
    public static RootCommand Build(Func<ServiceProvider>? services = null, TextWriter? output = null, TextWriter? error = null)
    {
        var cli = new CliContext(services ?? EngineServices.Build, output ?? Console.Out, error ?? Console.Error);
        var root = new RootCommand("Messaging engine: sends requests from SQS as email (SES) and SMS (End User Messaging).");
        root.Subcommands.Add(new Command("run", "Run the engine (the default): take requests, send, serve the operator HTTP API. " +
            "ASP.NET Core options such as --urls pass through."));
        root.Subcommands.Add(InitCommand(cli));
        root.Subcommands.Add(SendCommand(cli));
        root.Subcommands.Add(TemplateCommands.Build(cli));
        root.Subcommands.Add(TokenCommand.Build(cli));
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
        /// Runs a command on the engine's services with the schema migrated (so it works on a fresh database), and stops
        /// any actors it used. Storage that fails, or an actor that does not answer, exits 1 with the reason after
        /// <paramref name="command"/>.
        /// </summary>
        public async Task<int> RunOnEngineAsync(string command, Func<ServiceProvider, Task<int>> work, CancellationToken cancellationToken)
        {
            await using var services = Services();
            try
            {
                await services.GetRequiredService<IJournal>().MigrateAsync(cancellationToken);
                return await work(services);
            }
            catch (Exception e) when (e is JournalStorageException or AskTimeoutException or PoisonMessageException)
            {
                await Error.WriteLineAsync($"{command}: {e.Message}");
                return Failed;
            }
            finally
            {
                await services.GetRequiredService<ActorHost>().StopAsync(CancellationToken.None);
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
                cli.Output.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Name, r => r.Url), CliJsonContext.Default.DictionaryStringString));
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
        var channel = new Option<string>("--channel") { Description = "email or sms.", DefaultValueFactory = _ => "email" };
        var to = new Option<string?>("--to") { Description = "Recipient: an email address, or an E.164 phone number." };
        var subject = new Option<string?>("--subject") { Description = "Email subject." };
        var text = new Option<string?>("--text") { Description = "Text body (email or SMS)." };
        var html = new Option<string?>("--html") { Description = "HTML body (email)." };
        var template = new Option<string?>("--template") { Description = "Template name, instead of --subject/--text/--html." };
        var data = new Option<string?>("--data") { Description = "Template variables: a JSON object, or @FILE to read one." };
        var from = new Option<string?>("--from") { Description = "Sender; defaults to the configured one." };
        var category = new Option<string>("--category") { Description = "transactional or marketing.", DefaultValueFactory = _ => "transactional" };
        var messageId = new Option<string?>("--message-id") { Description = "Idempotency key; a new one when omitted." };
        var queue = new Option<string?>("--queue") { Description = "Request queue name; the first configured one when omitted." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var send = new Command("send", "Put a request on a request queue: from --file, or built from the options.")
        {
            file, channel, to, subject, text, html, template, data, from, category, messageId, queue, json,
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
                    try
                    {
                        var dataText = given.StartsWith('@') ? await File.ReadAllTextAsync(given[1..], cancellationToken) : given;
                        using var document = JsonDocument.Parse(dataText);
                        variables = document.RootElement.Clone();
                    }
                    catch (Exception e) when (e is JsonException or IOException)
                    {
                        await cli.Error.WriteLineAsync($"engine send: --data is not a JSON object or readable file: {e.Message}");
                        return BadInput;
                    }
                }

                var templateName = parse.GetValue(template);
                body = JsonSerializer.Serialize(new MessageRequest
                {
                    MessageId = parse.GetValue(messageId) ?? $"cli-{Guid.NewGuid():N}",
                    Channel = string.Equals(parse.GetValue(channel), "sms", StringComparison.OrdinalIgnoreCase) ? Channel.Sms : Channel.Email,
                    To = parse.GetValue(to) ?? "",
                    From = parse.GetValue(from),
                    Category = string.Equals(parse.GetValue(category), "marketing", StringComparison.OrdinalIgnoreCase) ? Category.Marketing : Category.Transactional,
                    Template = templateName,
                    Data = variables,
                    Content = templateName is not null ? null : new MessageContent { Subject = parse.GetValue(subject), Text = parse.GetValue(text), Html = parse.GetValue(html) },
                }, ContractsJsonContext.Default.MessageRequest);
            }

            // The engine would dead-letter an invalid request: say so now instead.
            var read = RequestReader.Read(body, DateTimeOffset.UtcNow);
            if (!read.IsValid)
            {
                await cli.Error.WriteLineAsync($"engine send: the request is not valid: {read.Describe()}");
                return BadInput;
            }

            await using var services = cli.Services();
            var ingest = services.GetRequiredService<IOptions<IngestOptions>>().Value;
            var queueName = parse.GetValue(queue) ?? ingest.Queues[0].Name;
            var url = await services.GetRequiredService<QueueDirectory>().UrlOfAsync(queueName, cancellationToken);
            if (!url.TryGetValue(out var queueUrl, out var error))
            {
                await cli.Error.WriteLineAsync($"engine send: queue {queueName} is not available ({error}); run 'engine init' first.");
                return Failed;
            }

            var request = read.Request!;
            var fifo = QueueDirectory.IsFifo(queueName);
            var sent = await services.GetRequiredService<SqsClient>().SendMessageAsync(queueUrl, new SqsOutgoingMessage
            {
                Body = body,
                // FIFO: one group per recipient keeps each recipient's requests in order.
                MessageGroupId = fifo ? RecipientKey.For(request.Channel, request.To).ToString() : null,
                DeduplicationId = fifo ? request.MessageId : null,
            }, cancellationToken);
            if (!sent.TryGetValue(out var message, out error))
            {
                await cli.Error.WriteLineAsync($"engine send: SQS refused the request: {error}");
                return Failed;
            }

            cli.Output.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new Dictionary<string, string> { ["messageId"] = request.MessageId, ["sqsMessageId"] = message.MessageId, ["queue"] = queueName }, CliJsonContext.Default.DictionaryStringString)
                : $"Queued {request.MessageId} for {request.To} on {queueName} (SQS message {message.MessageId}).");
            return Done;
        });
        return send;
    }
}

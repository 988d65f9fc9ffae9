using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Reputation;
using Messaging.Host.Api;
using Messaging.Host.Auth;

namespace Messaging.Host.Cli;

/// <summary>
/// The operator API's operations as commands, for scripts: <c>engine recipient</c>, <c>engine message</c>,
/// <c>engine dlq</c>, <c>engine reputation</c>. <c>recipient</c> reads and changes a recipient's actor, so it goes
/// through a running engine's operator API (the CLI never hosts a recipient actor); the others need no actor and work
/// on the configured database and queues directly, with no engine running. Tables by default, <c>--json</c> for
/// machines; exit 0 done, 1 storage, AWS or the engine failed, 2 bad input or not found.
/// </summary>
internal static class OperatorCommands
{
    private static JsonSerializerOptions Json => CliText.Json;

    public static IEnumerable<Command> Build(EngineCommands.CliContext cli) => [Recipient(cli), Message(cli), DeadLetters(cli), Reputation(cli)];

    private static Option<bool> JsonOption() => new("--json") { Description = "Print the result as JSON." };

    private static Command Recipient(EngineCommands.CliContext cli)
    {
        var channel = new Argument<string>("CHANNEL") { Description = "email or sms." };
        var address = new Argument<string>("ADDRESS") { Description = "The email address or E.164 number." };
        var reason = new Option<string>("--reason") { Description = "Why (recorded).", Required = true };
        var by = new Option<string>("--by") { Description = "Who (recorded; the subject of the token signed for the call).", DefaultValueFactory = _ => Environment.UserName };
        var json = JsonOption();

        var show = new Command("show", "A recipient's state from its actor in the running engine: suppression, soft-bounce streak, today's counts, recent messages.")
        {
            channel, address, json, RunningEngine.UrlOption(), RunningEngine.TokenOption(),
        };
        show.SetAction((parse, ct) => OnRecipientAsync(cli, parse, "engine recipient show", parse.GetValue(channel)!, parse.GetValue(address)!, OperatorRoles.Reader, null,
            async (api, path) =>
            {
                using var response = await api.GetAsync(new Uri(path, UriKind.Relative), ct);
                var (view, exitCode) = await RunningEngine.ReadAsync<RecipientView>(cli, "engine recipient show", response, ct);
                if (view is null)
                {
                    return exitCode;
                }

                if (parse.GetValue(json))
                {
                    cli.Output.WriteLine(JsonSerializer.Serialize(view, Json));
                    return EngineCommands.Done;
                }

                cli.Output.WriteLine($"{view.Key}: {(view.Suppression is { } s ? $"SUPPRESSED ({s.Reason} since {s.Since:u}{(s.By is null ? "" : $" by {s.By}")}{(s.Note is null ? "" : $": {s.Note}")})" : "not suppressed")}");
                cli.Output.WriteLine($"soft bounces in a row: {view.ConsecutiveTransientBounces}; today: {string.Join(", ", view.AcceptedToday.Select(c => $"{c.Value} {c.Key}"))}");
                CliTable.Write(cli.Output, ["MESSAGE", "STATUS", "CATEGORY", "UPDATED", "REASON"], view.Recent.Select(m => new[]
                {
                    m.MessageId, JsonSerializer.Serialize(m.Status).Trim('"'), JsonSerializer.Serialize(m.Category).Trim('"'), m.UpdatedAt.ToString("u"), m.Reason ?? "",
                }));
                return EngineCommands.Done;
            }, ct));

        var suppress = new Command("suppress", "Suppress a recipient by hand (through the running engine).") { channel, address, reason, by, RunningEngine.UrlOption(), RunningEngine.TokenOption() };
        suppress.SetAction((parse, ct) => OnRecipientAsync(cli, parse, "engine recipient suppress", parse.GetValue(channel)!, parse.GetValue(address)!, OperatorRoles.Operator,
            parse.GetValue(by), async (api, path) =>
            {
                using var response = await api.PutAsJsonAsync(new Uri(path + "/suppression", UriKind.Relative), new ReasonRequest(parse.GetValue(reason)), Json, ct);
                return await WriteChangeAsync(cli, "engine recipient suppress", response, ct);
            }, ct));
        var unsuppress = new Command("unsuppress", "Lift a recipient's suppression (through the running engine).") { channel, address, reason, by, RunningEngine.UrlOption(), RunningEngine.TokenOption() };
        unsuppress.SetAction((parse, ct) => OnRecipientAsync(cli, parse, "engine recipient unsuppress", parse.GetValue(channel)!, parse.GetValue(address)!, OperatorRoles.Operator,
            parse.GetValue(by), async (api, path) =>
            {
                using var response = await api.DeleteAsync(new Uri($"{path}/suppression?reason={Uri.EscapeDataString(parse.GetValue(reason)!)}", UriKind.Relative), ct);
                return await WriteChangeAsync(cli, "engine recipient unsuppress", response, ct);
            }, ct));

        return new Command("recipient", "Look at a recipient, suppress or unsuppress it, through a running engine's API (its actors hold the state).")
        {
            show, suppress, unsuppress,
        };
    }

    /// <summary>
    /// Checks the recipient here (a mistake exits 2 without a call), then calls the running engine with the path of the
    /// recipient's normalized key: the CLI never hosts a recipient actor.
    /// </summary>
    private static async Task<int> OnRecipientAsync(
        EngineCommands.CliContext cli, ParseResult parse, string command, string channel, string address, string role, string? by,
        Func<HttpClient, string, Task<int>> work, CancellationToken ct)
    {
        if (Key(cli, channel, address) is not { } key)
        {
            return EngineCommands.BadInput;
        }

        var path = $"/recipients/{(key.Channel == Channel.Sms ? "sms" : "email")}/{Uri.EscapeDataString(key.Address)}";
        return await RunningEngine.CallAsync(cli, parse, command, role, by, api => work(api, path), ct);
    }

    private static async Task<int> WriteChangeAsync(EngineCommands.CliContext cli, string command, HttpResponseMessage response, CancellationToken ct)
    {
        var (change, exitCode) = await RunningEngine.ReadAsync<SuppressionChangeView>(cli, command, response, ct);
        if (change is null)
        {
            return exitCode;
        }

        // The API names the change in camel case (alreadySuppressed); the command prints it as the engine names it.
        cli.Output.WriteLine($"{change.Recipient}: {char.ToUpperInvariant(change.Change[0])}{change.Change[1..]}");
        return EngineCommands.Done;
    }

    private static Command Message(EngineCommands.CliContext cli)
    {
        var id = new Argument<string>("MESSAGE_ID");
        var json = JsonOption();
        var show = new Command("show", "Where a message stands.") { id, json };
        show.SetAction((parse, ct) => WithEngineAsync(cli, async services =>
        {
            if (await services.GetRequiredService<IJournal>().FindMessageAsync(parse.GetValue(id)!, ct) is not { } row)
            {
                await cli.Error.WriteLineAsync($"engine message show: no message '{parse.GetValue(id)}'.");
                return EngineCommands.BadInput;
            }

            WriteMessages(cli, [row], parse.GetValue(json));
            return EngineCommands.Done;
        }, ct));

        var channel = new Option<string>("--channel") { DefaultValueFactory = _ => "email", Description = "email or sms." };
        var to = new Option<string>("--to") { Required = true, Description = "The recipient." };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 50, Description = "Most messages, newest first." };
        var list = new Command("list", "A recipient's messages, newest first.") { channel, to, limit, json };
        list.SetAction((parse, ct) => WithEngineAsync(cli, async services =>
        {
            if (Key(cli, parse.GetValue(channel)!, parse.GetValue(to)!) is not { } key)
            {
                return EngineCommands.BadInput;
            }

            var rows = await services.GetRequiredService<IJournal>().FindMessagesByRecipientAsync(key.ToString(), DateTimeOffset.MinValue, DateTimeOffset.MaxValue, parse.GetValue(limit), ct);
            WriteMessages(cli, rows, parse.GetValue(json));
            return EngineCommands.Done;
        }, ct));
        return new Command("message", "Look up messages.") { show, list };
    }

    private static void WriteMessages(EngineCommands.CliContext cli, IReadOnlyList<MessageRecord> rows, bool json)
    {
        if (json)
        {
            cli.Output.WriteLine(JsonSerializer.Serialize(rows, Json));
            return;
        }

        CliTable.Write(cli.Output, ["MESSAGE", "RECIPIENT", "STATUS", "UPDATED", "OPENS", "CLICKS", "REASON"], rows.Select(r => new[]
        {
            r.MessageId, r.RecipientKey, r.Status, r.UpdatedAt.ToString("u"), r.Opens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Clicks.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Reason ?? "",
        }));
    }

    private static Command DeadLetters(EngineCommands.CliContext cli)
    {
        var queue = new Option<string>("--queue") { DefaultValueFactory = _ => "requests", Description = "requests or feedback." };
        var ids = new Option<string[]>("--id") { Description = "SQS message ids to act on (repeat); all when omitted.", AllowMultipleArgumentsPerToken = true };
        var by = new Option<string>("--by") { Description = "Who redrives (recorded).", DefaultValueFactory = _ => Environment.UserName };
        var json = JsonOption();

        var peek = new Command("peek", "List dead letters with their reasons; they stay on the queue.") { queue, json };
        peek.SetAction((parse, ct) => WithDeadLettersAsync(cli, parse.GetValue(queue)!, async (dlq, kind) =>
        {
            var peeked = await dlq.PeekAsync(kind, 1_000, ct);
            if (!peeked.TryGetValue(out var entries, out var error))
            {
                await cli.Error.WriteLineAsync($"engine dlq peek: {error}");
                return EngineCommands.Failed;
            }

            if (parse.GetValue(json))
            {
                cli.Output.WriteLine(JsonSerializer.Serialize(entries, Json));
            }
            else
            {
                CliTable.Write(cli.Output, ["SQS ID", "MESSAGE", "ATTEMPTS", "SOURCE", "ERROR"], entries.Select(e => new[]
                {
                    e.SqsMessageId, e.MessageId ?? "", e.Attempts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", e.SourceQueue ?? "", e.Error ?? "",
                }));
            }

            return EngineCommands.Done;
        }, ct));

        var redrive = new Command("redrive", "Send dead letters back to the queue they came from.") { queue, ids, by };
        redrive.SetAction((parse, ct) => WithDeadLettersAsync(cli, parse.GetValue(queue)!, (dlq, kind) =>
            ActAsync(cli, "redrive", dlq.RedriveAsync(kind, parse.GetValue(ids) ?? [], parse.GetValue(by)!, ct)), ct));
        var purge = new Command("purge", "Delete dead letters.") { queue, ids };
        purge.SetAction((parse, ct) => WithDeadLettersAsync(cli, parse.GetValue(queue)!, (dlq, kind) =>
            ActAsync(cli, "purge", dlq.PurgeAsync(kind, parse.GetValue(ids) ?? [], ct)), ct));
        return new Command("dlq", "Peek at, redrive or purge a dead-letter queue.") { peek, redrive, purge };
    }

    private static async Task<int> ActAsync(EngineCommands.CliContext cli, string what, Task<Messaging.Engine.Aws.AwsResult<DeadLetterAction>> action)
    {
        var result = await action;
        if (!result.TryGetValue(out var done, out var error))
        {
            await cli.Error.WriteLineAsync($"engine dlq {what}: {error}");
            return EngineCommands.Failed;
        }

        cli.Output.WriteLine($"{what}: {done.Done.Count} message(s){(done.NotFound.Count > 0 ? $"; not found: {string.Join(", ", done.NotFound)}" : "")}");
        if (done.NotDeleted is { Count: > 0 } stuck)
        {
            foreach (var id in stuck)
            {
                await cli.Error.WriteLineAsync($"engine dlq {what}: {id} is still on the dead-letter queue: " +
                    (done.NotDeletedReasons?.GetValueOrDefault(id) ?? "SQS refused to delete it"));
            }

            return EngineCommands.Failed;
        }

        return done.NotFound.Count > 0 ? EngineCommands.BadInput : EngineCommands.Done;
    }

    private static Task<int> WithDeadLettersAsync(
        EngineCommands.CliContext cli, string queue, Func<DeadLetterConsole, DeadLetterQueueKind, Task<int>> work, CancellationToken ct) =>
        WithEngineAsync(cli, async services =>
        {
            var kind = OperatorInput.DeadLetterQueue(queue);
            if (kind is null)
            {
                await cli.Error.WriteLineAsync($"engine dlq: --queue must be 'requests' or 'feedback', not '{queue}'.");
                return EngineCommands.BadInput;
            }

            return await work(services.GetRequiredService<DeadLetterConsole>(), kind.Value);
        }, ct);

    private static Command Reputation(EngineCommands.CliContext cli)
    {
        var category = new Argument<string>("CATEGORY") { Description = "marketing or transactional." };
        var reason = new Option<string>("--reason") { Required = true, Description = "Why (recorded)." };
        var by = new Option<string>("--by") { DefaultValueFactory = _ => Environment.UserName, Description = "Who (recorded)." };
        var json = JsonOption();

        var show = new Command("show", "Pauses, warnings and this hour's rates.") { json };
        show.SetAction((parse, ct) => WithEngineAsync(cli, async services =>
        {
            var status = await services.GetRequiredService<ReputationGuard>().EvaluateAsync(ct);
            WriteReputation(cli, status, parse.GetValue(json));
            return EngineCommands.Done;
        }, ct));

        Command Change(string name, string description, Func<ReputationGuard, Category, string, string, CancellationToken, Task<bool>> change)
        {
            var command = new Command(name, description) { category, reason, by };
            command.SetAction((parse, ct) => WithEngineAsync(cli, async services =>
            {
                var parsed = OperatorInput.Category(parse.GetValue(category)!);
                if (parsed is null)
                {
                    await cli.Error.WriteLineAsync($"engine reputation {name}: the category must be 'marketing' or 'transactional'.");
                    return EngineCommands.BadInput;
                }

                var guard = services.GetRequiredService<ReputationGuard>();
                await change(guard, parsed.Value, parse.GetValue(by)!, parse.GetValue(reason)!, ct);
                WriteReputation(cli, guard.Status, json: false);
                return EngineCommands.Done;
            }, ct));
            return command;
        }

        return new Command("reputation", "The reputation guard: show, pause or resume a category.")
        {
            show,
            Change("pause", "Pause a category by hand (email).", (g, c, who, why, ct) => g.PauseAsync(c, who, why, ct)),
            Change("resume", "Resume a paused category.", (g, c, who, why, ct) => g.ResumeAsync(c, who, why, ct)),
        };
    }

    private static void WriteReputation(EngineCommands.CliContext cli, ReputationStatus status, bool json)
    {
        if (json)
        {
            cli.Output.WriteLine(JsonSerializer.Serialize(status, Json));
            return;
        }

        CliTable.Write(cli.Output, ["CATEGORY", "STATE", "SINCE", "BY", "REASON"], status.Pauses.Select(p => new[]
        {
            p.Category, p.Paused ? "PAUSED" : "resumed", p.ChangedAt.ToString("u"), p.ChangedBy, p.Reason,
        }));
        foreach (var warning in status.Warnings)
        {
            cli.Output.WriteLine($"warning: {warning}");
        }

        CliTable.Write(cli.Output, ["SCOPE", "SENT", "BOUNCES", "COMPLAINTS"], status.Rates.Select(r => new[]
        {
            r.Scope, r.Sent.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Bounces.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Complaints.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
    }

    private static RecipientKey? Key(EngineCommands.CliContext cli, string channel, string address)
    {
        var (key, problem) = OperatorInput.Recipient(channel, address);
        if (problem is not null)
        {
            cli.Error.WriteLine($"engine: {problem}.");
            return null;
        }

        return key;
    }

    private static Task<int> WithEngineAsync(EngineCommands.CliContext cli, Func<ServiceProvider, Task<int>> work, CancellationToken ct) =>
        cli.RunOnEngineAsync("engine", work, ct);
}

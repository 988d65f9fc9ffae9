using System.Security.Claims;
using System.Text;
using Messaging.Contracts.Requests;
using Akka.Actor;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Membership;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Recipients.Events;
using Messaging.Engine.Reputation;
using Messaging.Engine.Templates;
using Messaging.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Messaging.Host.Api;

/// <summary>
/// The operator HTTP API: recipients, messages, suppression, templates, reputation, the dead-letter queues and the cluster. Reading
/// needs the <c>reader</c> role, changing needs <c>operator</c>; every refusal is a Problem Details body (RFC 9457).
/// </summary>
internal static class OperatorApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void MapOperatorApi(this WebApplication app)
    {
        // Routing applies the size limit to the body before the endpoint reads it: over it, 413 with the limit.
        var read = app.MapGroup("").RequireAuthorization(OperatorRoles.ReadPolicy).WithTags("operator")
            .WithMetadata(new RequestSizeLimitAttribute(RequestSizeLimits.Body));
        var write = app.MapGroup("").RequireAuthorization(OperatorRoles.WritePolicy).WithTags("operator")
            .WithMetadata(new RequestSizeLimitAttribute(RequestSizeLimits.Body));

        read.MapGet("/recipients/{channel}/{address}", GetRecipientAsync).WithSummary("A recipient's live or stored state");
        write.MapPut("/recipients/{channel}/{address}/suppression", SuppressAsync).WithSummary("Suppress a recipient (with a reason)");
        write.MapDelete("/recipients/{channel}/{address}/suppression", UnsuppressAsync).WithSummary("Lift a suppression (reason in ?reason=)");

        read.MapGet("/suppressions", ListSuppressionsAsync).WithSummary("Suppressed recipients in key order (?channel=&limit=&after=)");

        read.MapGet("/messages/{messageId}", GetMessageAsync).WithSummary("A message and its history");
        read.MapGet("/messages", FindMessagesAsync).WithSummary("A recipient's messages in a time range (?channel=&to=&from=&until=&limit=)");

        read.MapGet("/templates", async (ITemplateStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct)))
            .WithSummary("Templates and partials, current and latest versions");
        read.MapGet("/templates/{name}", GetTemplateAsync).WithSummary("A template version (?version=, current by default; ?partial=true)");
        read.MapGet("/templates/{name}/versions", GetVersionsAsync).WithSummary("Every version, newest first");
        write.MapPut("/templates/{name}/current", MakeCurrentAsync).WithSummary("Make a stored version current (rollback)");
        read.MapPost("/templates/{name}/preview", PreviewAsync).WithSummary("Render a template with given or sample data")
            .WithMetadata(new RequestSizeLimitAttribute(RequestSizeLimits.PreviewBody));

        read.MapGet("/reputation", (ReputationGuard guard) => TypedResults.Ok(guard.Status)).WithSummary("Pauses, warnings and this hour's rates");
        write.MapPost("/reputation/{category}/pause", (string category, ReasonRequest body, ReputationGuard guard, ClaimsPrincipal user, CancellationToken ct) =>
            ChangePauseAsync(category, body, user, (c, by, reason) => guard.PauseAsync(c, by, reason, ct), guard)).WithSummary("Pause a category by hand");
        write.MapPost("/reputation/{category}/resume", (string category, ReasonRequest body, ReputationGuard guard, ClaimsPrincipal user, CancellationToken ct) =>
            ChangePauseAsync(category, body, user, (c, by, reason) => guard.ResumeAsync(c, by, reason, ct), guard)).WithSummary("Resume a paused category");

        read.MapGet("/cluster", async (ClusterViewReader cluster, CancellationToken ct) => TypedResults.Ok(await cluster.ReadAsync(AskTimeout, ct)))
            .WithSummary("The Akka cluster as this node sees it: members and their status, the leader, unreachable nodes, shards per node");

        read.MapGet("/dlq/{queue}", PeekAsync).WithSummary("Peek at a dead-letter queue (requests or feedback) without taking");
        write.MapPost("/dlq/{queue}/redrive", RedriveAsync).WithSummary("Send selected (or all) dead letters back to their queue");
        write.MapPost("/dlq/{queue}/purge", PurgeAsync).WithSummary("Delete selected (or all) dead letters");
    }

    private static string Who(ClaimsPrincipal user) => user.FindFirst("sub")?.Value ?? user.Identity?.Name ?? "operator";

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: detail);

    /// <summary>Why a reason cannot be recorded (missing, or longer than a note), or null.</summary>
    private static string? ReasonProblem(string? reason, string example) =>
        string.IsNullOrWhiteSpace(reason) ? $"a reason is required: {example}"
        : reason.Length > RequestSizeLimits.Reason ? $"the reason is {reason.Length} characters; at most {RequestSizeLimits.Reason} are recorded"
        : null;

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    private static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "A dependency failed", detail: detail);

    private static async Task<Results<Ok<RecipientView>, ProblemHttpResult>> GetRecipientAsync(
        string channel, string address, [FromServices] RecipientRegion recipients, TimeProvider time, CancellationToken ct)
    {
        var (key, problem) = OperatorInput.Recipient(channel, address);
        if (problem is not null)
        {
            return BadRequest(problem);
        }

        var snapshot = await recipients.ActorRef.Ask<RecipientSnapshot>(new QueryRecipient(key), AskTimeout, ct);
        return TypedResults.Ok(RecipientView.Of(snapshot, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime)));
    }

    private static async Task<Results<Ok<SuppressionChangeView>, ProblemHttpResult>> SuppressAsync(
        string channel, string address, ReasonRequest body, ClaimsPrincipal user, [FromServices] RecipientRegion recipients, CancellationToken ct)
    {
        var (key, problem) = OperatorInput.Recipient(channel, address);
        if ((problem ?? ReasonProblem(body.Reason, "{\"reason\": \"…\"}")) is { } refused)
        {
            return BadRequest(refused);
        }

        var change = await recipients.ActorRef.Ask<SuppressionChange>(new SuppressByOperator(key, Who(user), body.Reason!), AskTimeout, ct);
        return TypedResults.Ok(new SuppressionChangeView(key.ToString(), Camel(change.ToString())));
    }

    private static async Task<Results<Ok<SuppressionChangeView>, ProblemHttpResult>> UnsuppressAsync(
        string channel, string address, string? reason, ClaimsPrincipal user, [FromServices] RecipientRegion recipients, CancellationToken ct)
    {
        var (key, problem) = OperatorInput.Recipient(channel, address);
        if ((problem ?? ReasonProblem(reason, "?reason=…")) is { } refused)
        {
            return BadRequest(refused);
        }

        var change = await recipients.ActorRef.Ask<SuppressionChange>(new UnsuppressByOperator(key, Who(user), reason!), AskTimeout, ct);
        return TypedResults.Ok(new SuppressionChangeView(key.ToString(), Camel(change.ToString())));
    }

    private static async Task<Results<Ok<IReadOnlyList<SuppressionRecord>>, ProblemHttpResult>> ListSuppressionsAsync(
        string? channel, int? limit, string? after, IJournal journal, CancellationToken ct)
    {
        if (channel is not (null or "email" or "sms") || limit is < 1 or > 1_000)
        {
            return BadRequest(limit is < 1 or > 1_000 ? "'limit' must be between 1 and 1000" : $"channel '{channel}' is not 'email' or 'sms'");
        }

        return TypedResults.Ok(await journal.ListSuppressionsAsync(channel, limit ?? 100, after, ct));
    }

    private static async Task<Results<Ok<MessageView>, ProblemHttpResult>> GetMessageAsync(
        string messageId, IJournal journal, RecipientEventSerializer serializer, CancellationToken ct)
    {
        if (await journal.FindMessageAsync(messageId, ct) is not { } row)
        {
            return NotFound($"no message '{messageId}'");
        }

        // The recipient's events about this message that are still in the journal (older ones are folded into snapshots).
        var history = new List<MessageHistoryEntry>();
        foreach (var stored in await journal.ReadEntityEventsAsync(row.RecipientKey, 0, ct))
        {
            if (serializer.Deserialize(stored.Type, stored.Payload) is IMessageEvent e && e.MessageId == messageId)
            {
                var name = stored.Type.StartsWith("recipient.", StringComparison.Ordinal) ? stored.Type["recipient.".Length..^".v1".Length] : stored.Type;
                history.Add(new MessageHistoryEntry(name, e.At, Encoding.UTF8.GetString(stored.Payload.Span)));
            }
        }

        return TypedResults.Ok(View(row) with { History = history });
    }

    private static async Task<Results<Ok<IReadOnlyList<MessageView>>, ProblemHttpResult>> FindMessagesAsync(
        string? channel, string? to, DateTimeOffset? from, DateTimeOffset? until, int? limit, IJournal journal, CancellationToken ct)
    {
        if (to is null)
        {
            return BadRequest("'to' is required: /messages?channel=email&to=ana@example.com");
        }

        var (key, problem) = OperatorInput.Recipient(channel ?? "email", to);
        if (problem is not null)
        {
            return BadRequest(problem);
        }

        if (limit is < 1 or > 1_000)
        {
            return BadRequest("'limit' must be between 1 and 1000");
        }

        var rows = await journal.FindMessagesByRecipientAsync(key.ToString(), from ?? DateTimeOffset.MinValue, until ?? DateTimeOffset.MaxValue, limit ?? 100, ct);
        return TypedResults.Ok((IReadOnlyList<MessageView>)rows.Select(View).ToList());
    }

    private static MessageView View(MessageRecord r) => new(
        r.MessageId, r.RecipientKey, r.Channel, r.Category, r.Status, r.Reason, r.ProviderMessageId, r.AcceptedAt, r.UpdatedAt, r.Opens, r.Clicks);

    private static async Task<Results<Ok<StoredTemplate>, ProblemHttpResult>> GetTemplateAsync(
        string name, int? version, bool? partial, ITemplateStore store, CancellationToken ct) =>
        await store.GetAsync(partial == true ? TemplateKind.Partial : TemplateKind.Template, name, version, ct) is { } stored
            ? TypedResults.Ok(stored)
            : NotFound($"no {(partial == true ? "partial" : "template")} '{name}'{(version is { } v ? $" version {v}" : "")}");

    private static async Task<Results<Ok<IReadOnlyList<TemplateVersionInfo>>, ProblemHttpResult>> GetVersionsAsync(
        string name, bool? partial, ITemplateStore store, CancellationToken ct)
    {
        var versions = await store.VersionsAsync(partial == true ? TemplateKind.Partial : TemplateKind.Template, name, ct);
        return versions.Count == 0 ? NotFound($"no {(partial == true ? "partial" : "template")} '{name}'") : TypedResults.Ok(versions);
    }

    private static async Task<Results<Ok<TemplateVersionInfo>, ProblemHttpResult>> MakeCurrentAsync(
        string name, MakeCurrentRequest body, ITemplateStore store, CancellationToken ct)
    {
        var kind = body.Partial ? TemplateKind.Partial : TemplateKind.Template;
        try
        {
            await store.MakeCurrentAsync(kind, name, body.Version, ct);
        }
        catch (TemplateNotFoundException e)
        {
            return NotFound(e.Message);
        }

        return TypedResults.Ok((await store.VersionsAsync(kind, name, ct)).Single(v => v.Version == body.Version));
    }

    private static async Task<Results<Ok<RenderedContent>, ProblemHttpResult>> PreviewAsync(
        string name, PreviewRequest body, ITemplateStore store, Microsoft.Extensions.Options.IOptions<TemplateOptions> options, CancellationToken ct)
    {
        if (await store.GetAsync(TemplateKind.Template, name, body.Version, ct) is not { } template)
        {
            return NotFound($"no template '{name}'{(body.Version is { } v ? $" version {v}" : "")}");
        }

        var partials = (await store.LoadCurrentAsync(ct)).Partials();
        try
        {
            return TypedResults.Ok(CompiledTemplate.Compile(template, partials, options.Value).Render(body.Data ?? template.Definition.SampleData));
        }
        catch (Exception e) when (e is TemplateCompileException or TemplateRenderException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The template cannot be rendered", detail: e.Message);
        }
    }

    private static async Task<Results<Ok<ReputationStatus>, ProblemHttpResult>> ChangePauseAsync(
        string category, ReasonRequest body, ClaimsPrincipal user, Func<Category, string, string, Task<bool>> change, ReputationGuard guard)
    {
        if (OperatorInput.Category(category) is not { } parsed)
        {
            return BadRequest($"category '{category}' is not 'marketing' or 'transactional'");
        }

        if (ReasonProblem(body.Reason, "{\"reason\": \"…\"}") is { } refused)
        {
            return BadRequest(refused);
        }

        await change(parsed, Who(user), body.Reason!);
        return TypedResults.Ok(guard.Status);
    }

    private static async Task<Results<Ok<IReadOnlyList<DeadLetterEntry>>, ProblemHttpResult>> PeekAsync(
        string queue, int? max, DeadLetterConsole dlq, CancellationToken ct)
    {
        if (OperatorInput.DeadLetterQueue(queue) is not { } kind || max is < 1 or > 1_000)
        {
            return BadRequest(OperatorInput.DeadLetterQueue(queue) is null ? $"queue '{queue}' is not 'requests' or 'feedback'" : "'max' must be between 1 and 1000");
        }

        var peeked = await dlq.PeekAsync(kind, max ?? 100, ct);
        return peeked.TryGetValue(out var entries, out var error) ? TypedResults.Ok(entries) : Unavailable(error.ToString());
    }

    private static Task<Results<Ok<DeadLetterAction>, ProblemHttpResult>> RedriveAsync(
        string queue, DeadLetterSelection? body, ClaimsPrincipal user, DeadLetterConsole dlq, CancellationToken ct) =>
        ActAsync(queue, (kind, selected) => dlq.RedriveAsync(kind, selected, Who(user), ct), body);

    private static Task<Results<Ok<DeadLetterAction>, ProblemHttpResult>> PurgeAsync(
        string queue, DeadLetterSelection? body, DeadLetterConsole dlq, CancellationToken ct) =>
        ActAsync(queue, (kind, selected) => dlq.PurgeAsync(kind, selected, ct), body);

    private static async Task<Results<Ok<DeadLetterAction>, ProblemHttpResult>> ActAsync(
        string queue, Func<DeadLetterQueueKind, IReadOnlyCollection<string>, Task<Messaging.Engine.Aws.AwsResult<DeadLetterAction>>> act, DeadLetterSelection? body)
    {
        if (OperatorInput.DeadLetterQueue(queue) is not { } kind)
        {
            return BadRequest($"queue '{queue}' is not 'requests' or 'feedback'");
        }

        var result = await act(kind, body?.MessageIds?.ToHashSet(StringComparer.Ordinal) ?? []);
        return result.TryGetValue(out var action, out var error) ? TypedResults.Ok(action) : Unavailable(error.ToString());
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}

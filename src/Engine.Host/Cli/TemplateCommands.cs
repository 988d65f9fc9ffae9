using System.CommandLine;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Sending;
using Messaging.Engine.Templates;
using Microsoft.Extensions.Options;

namespace Messaging.Host.Cli;

/// <summary>
/// <c>engine templates push|preview|list|versions|make-current</c>: the template store from a shell. Every command
/// works on the database the engine is configured with, and migrates its schema first, so it works on a fresh one.
/// </summary>
internal static class TemplateCommands
{
    public static Command Build(EngineCommands.CliContext cli)
    {
        var templates = new Command("templates", "Push, preview, list and roll back templates and partials.");
        templates.Subcommands.Add(Push(cli));
        templates.Subcommands.Add(Preview(cli));
        templates.Subcommands.Add(List(cli));
        templates.Subcommands.Add(Versions(cli));
        templates.Subcommands.Add(MakeCurrent(cli));
        return templates;
    }

    private static Command Push(EngineCommands.CliContext cli)
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "Folder with NAME/template.html, NAME/template.txt, NAME/metadata.json and _partials/." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate only; store nothing." };
        var source = new Option<string?>("--source") { Description = "Recorded with each new version (e.g. a commit id); default: the folder's path." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var push = new Command("push", "Validate every template and partial in DIR, then store each changed one as a new current version — all or nothing.")
        {
            directory, dryRun, source, json,
        };
        push.SetAction((parse, cancellationToken) => WithStoreAsync(cli, "push", async (services, store) =>
        {
            var folder = parse.GetValue(directory)!;
            var read = TemplateFolder.Read(folder.FullName);
            var problems = read.Problems.ToList();
            var current = await store.LoadCurrentAsync(cancellationToken);
            problems.AddRange(TemplateValidator.Validate(read.Sources, current, Options<TemplateOptions>(services), Options<SendingOptions>(services)));
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await cli.Error.WriteLineAsync(problem.ToString());
                }

                await cli.Error.WriteLineAsync(
                    $"engine templates push: {problems.Count} problem{(problems.Count == 1 ? "" : "s")} in {problems.Select(p => p.File).Distinct().Count()} file(s); nothing was pushed.");
                return EngineCommands.BadInput;
            }

            if (parse.GetValue(dryRun))
            {
                cli.Output.WriteLine($"{read.Sources.Count} templates and partials are valid; nothing was pushed (--dry-run).");
                return EngineCommands.Done;
            }

            var pushed = await store.PushAsync(read.Sources.Select(s => s.Draft).ToList(), parse.GetValue(source) ?? folder.FullName, cancellationToken);
            if (parse.GetValue(json))
            {
                cli.Output.WriteLine(JsonSerializer.Serialize(
                    pushed.Select(p => new PushedRow(TemplateNames.Of(p.Kind), p.Name, p.Version, p.Changed)).ToList(),
                    CliJsonContext.Relaxed.ListPushedRow));
            }
            else
            {
                CliTable.Write(cli.Output, ["KIND", "NAME", "VERSION", "STATUS"], pushed.Select(p => new[]
                {
                    TemplateNames.Of(p.Kind), p.Name, $"v{p.Version}", p.Changed ? "new, current" : "unchanged",
                }));
            }

            return EngineCommands.Done;
        }, cancellationToken));
        return push;
    }

    private static Command Preview(EngineCommands.CliContext cli)
    {
        var name = new Argument<string>("NAME") { Description = "Template name." };
        var data = new Option<string?>("--data") { Description = TemplateDataOption.Description + " The template's sample data when omitted." };
        var version = new Option<int?>("--version") { Description = "A stored version; the current one when omitted." };
        var directory = new Option<DirectoryInfo?>("--dir") { Description = "Preview from this folder (as push would store it) instead of the store." };
        var json = new Option<bool>("--json") { Description = "Print subject, html and text as JSON." };
        var preview = new Command("preview", "Render a template and print its subject, HTML and text.")
        {
            name, data, version, directory, json,
        };
        preview.SetAction((parse, cancellationToken) => WithStoreAsync(cli, "preview", async (services, store) =>
        {
            var templateName = parse.GetValue(name)!;
            var current = await store.LoadCurrentAsync(cancellationToken);
            var partials = current.Partials();
            StoredTemplate? template;
            if (parse.GetValue(directory) is { } folder)
            {
                var read = TemplateFolder.Read(folder.FullName);
                foreach (var partial in read.Sources.Where(s => s.Draft.Kind == TemplateKind.Partial))
                {
                    partials[partial.Draft.Name] = StoredTemplate.Unsaved(partial.Draft);
                }

                template = read.Sources.FirstOrDefault(s => s.Draft.Kind == TemplateKind.Template && s.Draft.Name == templateName)?.Draft is { } draft
                    ? StoredTemplate.Unsaved(draft)
                    : null;
            }
            else
            {
                template = await store.GetAsync(TemplateKind.Template, templateName, parse.GetValue(version), cancellationToken);
            }

            if (template is null)
            {
                await cli.Error.WriteLineAsync($"engine templates preview: there is no template '{templateName}'{(parse.GetValue(version) is { } v ? $" version {v}" : "")}.");
                return EngineCommands.BadInput;
            }

            JsonElement? variables = template.Definition.SampleData;
            if (parse.GetValue(data) is { } given)
            {
                var (read, problem) = await TemplateDataOption.ReadAsync(given, cancellationToken);
                if (problem is not null)
                {
                    await cli.Error.WriteLineAsync($"engine templates preview: {problem}.");
                    return EngineCommands.BadInput;
                }

                variables = read;
            }

            RenderedContent rendered;
            try
            {
                rendered = CompiledTemplate.Compile(template, partials, Options<TemplateOptions>(services)).Render(variables);
            }
            catch (Exception e) when (e is TemplateCompileException or TemplateRenderException)
            {
                await cli.Error.WriteLineAsync($"engine templates preview: {e.Message}");
                return EngineCommands.BadInput;
            }

            if (parse.GetValue(json))
            {
                cli.Output.WriteLine(JsonSerializer.Serialize(rendered, CliJsonContext.Relaxed.RenderedContent));
                return EngineCommands.Done;
            }

            var label = template.Version == 0 ? $"{template.Name} (from {parse.GetValue(directory)!.FullName})" : template.Label;
            cli.Output.WriteLine($"Template: {label}");
            if (rendered.Subject is not null)
            {
                cli.Output.WriteLine($"Subject: {rendered.Subject}");
            }

            if (rendered.Html is not null)
            {
                cli.Output.WriteLine("----- html -----");
                cli.Output.WriteLine(rendered.Html);
            }

            if (rendered.Text is not null)
            {
                cli.Output.WriteLine(template.Definition.Html is not null && template.Definition.Text is null
                    ? "----- text (derived from the HTML) -----"
                    : "----- text -----");
                cli.Output.WriteLine(rendered.Text);
                if (template.Definition.Channel == Channel.Sms)
                {
                    var segments = SmsSegments.Measure(rendered.Text);
                    cli.Output.WriteLine($"----- {segments.Segments} SMS segment(s), {segments.Encoding}, {segments.Units} units -----");
                }
            }

            return EngineCommands.Done;
        }, cancellationToken));
        return preview;
    }

    private static Command List(EngineCommands.CliContext cli)
    {
        var list = new Command("list", "List templates and partials with their current and latest versions.");
        list.SetAction((parse, cancellationToken) => WithStoreAsync(cli, "list", async (_, store) =>
        {
            var all = await store.ListAsync(cancellationToken);
            CliTable.Write(cli.Output, ["KIND", "NAME", "CHANNEL", "CURRENT", "LATEST", "CHANGED"], all.Select(t => new[]
            {
                TemplateNames.Of(t.Kind), t.Name, t.Channel is { } c ? ChannelName(c) : "-",
                $"v{t.CurrentVersion}", $"v{t.LatestVersion}", t.ChangedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
            }));
            return EngineCommands.Done;
        }, cancellationToken));
        return list;
    }

    private static Command Versions(EngineCommands.CliContext cli)
    {
        var name = new Argument<string>("NAME") { Description = "Template (or, with --partial, partial) name." };
        var partial = new Option<bool>("--partial") { Description = "NAME is a partial." };
        var versions = new Command("versions", "List every stored version of a template or partial, newest first.") { name, partial };
        versions.SetAction((parse, cancellationToken) => WithStoreAsync(cli, "versions", async (_, store) =>
        {
            var kind = parse.GetValue(partial) ? TemplateKind.Partial : TemplateKind.Template;
            var all = await store.VersionsAsync(kind, parse.GetValue(name)!, cancellationToken);
            if (all.Count == 0)
            {
                await cli.Error.WriteLineAsync($"engine templates versions: there is no {TemplateNames.Of(kind)} '{parse.GetValue(name)}'.");
                return EngineCommands.BadInput;
            }

            CliTable.Write(cli.Output, ["VERSION", "CURRENT", "CREATED", "SOURCE"], all.Select(v => new[]
            {
                $"v{v.Version}", v.Current ? "*" : "", v.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture), v.Source ?? "",
            }));
            return EngineCommands.Done;
        }, cancellationToken));
        return versions;
    }

    private static Command MakeCurrent(EngineCommands.CliContext cli)
    {
        var name = new Argument<string>("NAME") { Description = "Template (or, with --partial, partial) name." };
        var version = new Argument<int>("VERSION") { Description = "The stored version to use from now on." };
        var partial = new Option<bool>("--partial") { Description = "NAME is a partial." };
        var command = new Command("make-current", "Make a stored version current: a rollback, or a roll forward. Every node uses it within the refresh interval.")
        {
            name, version, partial,
        };
        command.SetAction((parse, cancellationToken) => WithStoreAsync(cli, "make-current", async (_, store) =>
        {
            var kind = parse.GetValue(partial) ? TemplateKind.Partial : TemplateKind.Template;
            try
            {
                await store.MakeCurrentAsync(kind, parse.GetValue(name)!, parse.GetValue(version), cancellationToken);
            }
            catch (TemplateNotFoundException e)
            {
                await cli.Error.WriteLineAsync($"engine templates make-current: {e.Message}");
                return EngineCommands.BadInput;
            }

            cli.Output.WriteLine($"{TemplateNames.Of(kind)} {parse.GetValue(name)} is now at v{parse.GetValue(version)}.");
            return EngineCommands.Done;
        }, cancellationToken));
        return command;
    }

    /// <summary>
    /// Why the engine would refuse a request for template <paramref name="name"/> with <paramref name="data"/>
    /// (no such template, another channel, data it needs is missing), or null when it would render.
    /// </summary>
    internal static async Task<string?> CheckAsync(IServiceProvider services, string name, Channel channel, JsonElement? data, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<ITemplateStore>();
        if (await store.GetAsync(TemplateKind.Template, name, null, cancellationToken) is not { } template)
        {
            return $"there is no template '{name}' in the store ('engine templates list' shows them, 'engine templates push DIR' stores them)";
        }

        if (template.Definition.Channel is { } expected && expected != channel)
        {
            return $"template '{name}' is for {ChannelName(expected)}, not {ChannelName(channel)}";
        }

        var partials = (await store.LoadCurrentAsync(cancellationToken)).Partials();
        try
        {
            CompiledTemplate.Compile(template, partials, Options<TemplateOptions>(services)).Render(data);
            return null;
        }
        catch (Exception e) when (e is TemplateCompileException or TemplateRenderException)
        {
            return $"template '{name}': {CliText.OneLine(e.Message)}";
        }
    }

    private static string ChannelName(Channel channel) => channel == Channel.Email ? "email" : "sms";

    /// <summary>Runs a command against the configured store (see <see cref="EngineCommands.CliContext.RunOnEngineAsync"/>).</summary>
    private static Task<int> WithStoreAsync(
        EngineCommands.CliContext cli, string command, Func<ServiceProvider, ITemplateStore, Task<int>> work, CancellationToken cancellationToken) =>
        cli.RunOnEngineAsync($"engine templates {command}", services => work(services, services.GetRequiredService<ITemplateStore>()), cancellationToken);

    private static T Options<T>(IServiceProvider services) where T : class => services.GetRequiredService<IOptions<T>>().Value;
}

/// <summary>One line of <c>engine templates push --json</c>.</summary>
internal sealed record PushedRow(string Kind, string Name, int Version, bool Changed);

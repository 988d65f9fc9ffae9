using Messaging.Engine;
using Messaging.Host;
using Messaging.Host.Api;
using Messaging.Host.Auth;
using Messaging.Host.Cli;
using Messaging.Host.Metrics;
using Messaging.Host.Health;

// Only `engine` alone or `engine run …` runs the engine (ASP.NET Core arguments such as --urls pass through); every
// other command line is a one-shot command, help, or an error (exit 2) with a suggestion.
var commandLine = EngineCommandLine.Of(args);
if (commandLine.Kind == EngineCommandLine.Invocation.Command)
{
    return await EngineCommands.MainAsync(args).ConfigureAwait(false);
}

if (commandLine.Kind == EngineCommandLine.Invocation.Engine)
{
    LocalSettings.ApplyFound(engineRun: true);
}

args = commandLine.HostArgs;

// The dashboard's files ship beside the binary, whatever folder the host is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot") });

// config/engine.json ships beside the binary; environment variables (Engine__Aws__Region…) and
// the command line still override it, so they are added again after it.
builder.Configuration
    .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "config", "engine.json"), optional: false, reloadOnChange: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args);
// Cluster Bootstrap's probes come to a management port the host also listens on; with seed nodes there is none.
var management = builder.ListenForBootstrapProbes();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HostJsonContext.Default));
// The actor system first: hosted services stop in reverse order, so the engine's own (ingest, in-flight sends) stop
// before CoordinatedShutdown takes the node out of its Akka cluster.
builder.Services.AddEngineActorSystem(builder.Configuration);
builder.Services.AddMessagingEngine(builder.Configuration);
builder.Services.AddSingleton<ReadinessCheck>();
builder.Services.StartQueueWorkOnceListening();

// Operator API: JWT bearer (reader / operator roles), Problem Details for every error, an OpenAPI description.
builder.Services.AddOperatorAuthentication(builder.Configuration);
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = StatusProblems.Describe);
builder.Services.AddExceptionHandler<DependencyFailureHandler>();
builder.Services.AddExceptionHandler<BadRequestHandler>();
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.WebHost.ConfigureKestrel(RequestSizeLimits.ConfigureServer);
builder.Services.AddOpenApi();
builder.Services.AddSingleton<PrometheusExposition>();

var app = builder.Build();
// The exposition listens from the start, so counts made before the first scrape are not missed.
app.Services.GetRequiredService<PrometheusExposition>();

if (management is not null)
{
    app.MapBootstrapContactPoint(management);
}

app.UseExceptionHandler();
app.UseRequestSizeLimits();
app.UseStatusCodePages();
// The dashboard's page, script and styles, all served from here (no CDN); its data calls carry the operator's token.
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.MapOpenApi();
app.MapOperatorApi();
app.MapDashboard();

app.MapGet("/health/live", () => TypedResults.Ok(new LivenessReport("live")));
// Open, like liveness: scrapers rarely carry tokens, and the figures name no recipient.
app.MapGet("/metrics", (PrometheusExposition exposition) =>
    Results.Text(exposition.Render(), "text/plain; version=0.0.4; charset=utf-8"));
var ready = app.MapGet("/health/ready", async (ReadinessCheck readiness, CancellationToken cancellationToken) =>
{
    var report = await readiness.RunAsync(cancellationToken).ConfigureAwait(false);
    return Results.Json(report, HostJsonContext.Default.ReadinessReport, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
});
if (!app.Configuration.GetValue<bool>($"{OperatorAuthOptions.SectionName}:{nameof(OperatorAuthOptions.AnonymousReadiness)}"))
{
    ready.RequireAuthorization(OperatorRoles.ReadPolicy);
}

try
{
    await app.StartAsync().ConfigureAwait(false);
}
catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    // The queue workers start only once the server listens, so nothing was received or sent; what did start (the
    // cluster membership, the actors) stops in order before the one line that says why.
    await app.StopAsync().ConfigureAwait(false);
    await app.DisposeAsync().ConfigureAwait(false);
    await Console.Error.WriteLineAsync($"engine: cannot start: {e.Message} Nothing was received or sent.").ConfigureAwait(false);
    return 1;
}
catch (Exception e) when (RemotingBindFailure.Find(e) is { } refused)
{
    // The actor system starts first, so nothing else has started; Akka.Hosting has already stopped it.
    await app.DisposeAsync().ConfigureAwait(false);
    await Console.Error.WriteLineAsync(
        $"engine: cannot start: the cluster port is taken: {refused.Message.Replace(" See InnerException for details.", "", StringComparison.Ordinal)} " +
        "Address already in use (akka.remote.dot-netty.tcp.port). Nothing was received or sent.").ConfigureAwait(false);
    return 1;
}

await app.WaitForShutdownAsync().ConfigureAwait(false);
await app.DisposeAsync().ConfigureAwait(false);
return EngineCommands.Done;

/// <summary>The host's entry point, visible to the host tests' WebApplicationFactory.</summary>
public partial class Program;

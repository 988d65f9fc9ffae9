using Messaging.Engine;
using Messaging.Host;
using Messaging.Host.Api;
using Messaging.Host.Auth;
using Messaging.Host.Cli;
using Messaging.Host.Metrics;
using Microsoft.AspNetCore.Authentication;
using Messaging.Host.Health;

// `engine init`, `engine send`, `engine templates …`, `engine token`, `engine recipient|message|dlq|reputation …`, `engine --help`: one-shot commands. Anything else runs the engine, passing its
// arguments (--urls …) to ASP.NET Core; `engine run …` is the same.
if (args is [("init" or "send" or "templates" or "token" or "recipient" or "message" or "dlq" or "reputation" or "--help" or "-h" or "-?" or "--version"), ..])
{
    return await EngineCommands.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
}

if (args is ["run", ..])
{
    args = args[1..];
}

// The dashboard's files ship beside the binary, whatever folder the host is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot") });

// config/engine.json ships beside the binary; environment variables (Engine__Aws__Region…) and
// the command line still override it, so they are added again after it.
builder.Configuration
    .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "config", "engine.json"), optional: false, reloadOnChange: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HostJsonContext.Default));
builder.Services.AddMessagingEngine(builder.Configuration);
builder.Services.AddSingleton<ReadinessCheck>();

// Operator API: JWT bearer (reader / operator roles), Problem Details for every error, an OpenAPI description.
builder.Services.AddOptions<OperatorAuthOptions>().Bind(builder.Configuration.GetSection(OperatorAuthOptions.SectionName));
builder.Services.AddSingleton<OperatorTokenValidation>();
builder.Services.AddAuthentication(JwtBearerHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, JwtBearerHandler>(JwtBearerHandler.SchemeName, _ => { });
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(OperatorRoles.ReadPolicy, policy => policy.RequireRole(OperatorRoles.Reader, OperatorRoles.Operator))
    .AddPolicy(OperatorRoles.WritePolicy, policy => policy.RequireRole(OperatorRoles.Operator));
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<DependencyFailureHandler>();
builder.Services.AddOpenApi();
builder.Services.AddSingleton<PrometheusExposition>();

var app = builder.Build();
// The exposition listens from the start, so counts made before the first scrape are not missed.
app.Services.GetRequiredService<PrometheusExposition>();

app.UseExceptionHandler();
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

await app.RunAsync().ConfigureAwait(false);
return EngineCommands.Done;

/// <summary>The host's entry point, visible to the host tests' WebApplicationFactory.</summary>
public partial class Program;

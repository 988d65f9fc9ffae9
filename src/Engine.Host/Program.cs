using Messaging.Engine;
using Messaging.Host;
using Messaging.Host.Health;

var builder = WebApplication.CreateBuilder(args);

// config/engine.json ships beside the binary; environment variables (Engine__Aws__Region…) and
// the command line still override it, so they are added again after it.
builder.Configuration
    .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "config", "engine.json"), optional: false, reloadOnChange: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HostJsonContext.Default));
builder.Services.AddMessagingEngine(builder.Configuration);
builder.Services.AddSingleton<ReadinessCheck>();

var app = builder.Build();

app.MapGet("/health/live", () => TypedResults.Ok(new LivenessReport("live")));
app.MapGet("/health/ready", async (ReadinessCheck readiness, CancellationToken cancellationToken) =>
{
    var report = await readiness.RunAsync(cancellationToken).ConfigureAwait(false);
    return Results.Json(report, HostJsonContext.Default.ReadinessReport, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
});

await app.RunAsync().ConfigureAwait(false);

/// <summary>The host's entry point, visible to the host tests' WebApplicationFactory.</summary>
public partial class Program;

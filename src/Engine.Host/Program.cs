using Messaging.Engine;
using Messaging.Host;
using Messaging.Host.Cli;
using Messaging.Host.Health;

// `engine init`, `engine send`, `engine templates …`, `engine --help`: one-shot commands. Anything else runs the engine, passing its
// arguments (--urls …) to ASP.NET Core; `engine run …` is the same.
if (args is [("init" or "send" or "templates" or "--help" or "-h" or "-?" or "--version"), ..])
{
    return await EngineCommands.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
}

if (args is ["run", ..])
{
    args = args[1..];
}

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
return EngineCommands.Done;

/// <summary>The host's entry point, visible to the host tests' WebApplicationFactory.</summary>
public partial class Program;

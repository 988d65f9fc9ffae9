using System.Diagnostics;
using System.Text.Json;
using Messaging.Testing;

namespace Messaging.Host.Tests.Deployment;

/// <summary>
/// The host's runtime settings as a node runs them: the <c>Engine.Host.runtimeconfig.json</c> the build writes beside
/// the host (the runtime reads it at start), and what <c>dotnet publish</c> of the host does.
/// </summary>
public sealed class HostRuntimeSettingsTests
{
    [Fact]
    public void The_host_runs_the_server_garbage_collector_in_the_background_without_dynamic_PGO()
    {
        var properties = RuntimeConfigProperties();

        // A node that no rate bounds sends more with the server GC (docs/benchmarks.md); one at its share of an account's
        // rate chooses the workstation GC by environment, as the Kubernetes manifest does.
        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }

    [Fact]
    public async Task Publishing_the_host_precompiles_it_and_building_it_does_not()
    {
        Assert.Equal("true", await PropertyAsync("PublishReadyToRun", publishing: true));
        // A build or a test run restores no compiler or runtime pack for it.
        Assert.Equal("", await PropertyAsync("PublishReadyToRun", publishing: false));
    }

    private static JsonElement RuntimeConfigProperties()
    {
        var file = Path.Combine(Path.GetDirectoryName(typeof(Auth.OperatorRoles).Assembly.Location)!, "Engine.Host.runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    /// <summary>A property of the host's project as MSBuild evaluates it (no build), as under <c>dotnet publish</c> or not.</summary>
    private static async Task<string> PropertyAsync(string name, bool publishing)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "msbuild", RepositoryLayout.PathOf("src", "Engine.Host", "Engine.Host.csproj"), $"-getProperty:{name}", "-p:Configuration=Release" })
        {
            start.ArgumentList.Add(argument);
        }

        if (publishing)
        {
            // What `dotnet publish` sets for the whole evaluation (documented for projects that need to tell).
            start.ArgumentList.Add("-p:_IsPublishing=true");
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet msbuild.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"dotnet msbuild failed: {await error}");
        return (await output).Trim();
    }
}

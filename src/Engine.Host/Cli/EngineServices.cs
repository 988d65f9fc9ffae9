using Messaging.Engine;

namespace Messaging.Host.Cli;

/// <summary>The engine's services for a one-shot command: same configuration as <c>engine run</c>, no background work started.</summary>
internal static class EngineServices
{
    /// <param name="verbose">Log the engine's information lines too; otherwise only errors.</param>
    public static ServiceProvider Build(bool verbose)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "config", "engine.json"), optional: false, reloadOnChange: false)
            .AddEnvironmentVariables()
            .Build();
        var services = new ServiceCollection();
        // A command's output is its result: the engine's log lines (a warning the guard logs on a resume) go to standard
        // error, and only errors unless --verbose.
        services.AddLogging(logging => logging
            .AddConfiguration(configuration.GetSection("Logging"))
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Error)
            .AddFilter(level => level >= (verbose ? LogLevel.Information : LogLevel.Error))
            .AddSimpleConsole()
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMessagingEngine(configuration);
        return services.BuildServiceProvider();
    }
}

using Messaging.Engine;

namespace Messaging.Host.Cli;

/// <summary>The engine's services for a one-shot command: same configuration as <c>engine run</c>, no background work started.</summary>
internal static class EngineServices
{
    public static ServiceProvider Build()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "config", "engine.json"), optional: false, reloadOnChange: false)
            .AddEnvironmentVariables()
            .Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConfiguration(configuration.GetSection("Logging")).AddSimpleConsole());
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMessagingEngine(configuration);
        return services.BuildServiceProvider();
    }
}

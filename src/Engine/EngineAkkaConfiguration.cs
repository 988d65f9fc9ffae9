using System.Text.Json;
using Akka.Configuration;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Messaging.Engine.Membership;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine;

/// <summary>
/// Hosts the engine's Akka.NET actor system with Akka.Hosting. Its settings, lowest priority first: the
/// <c>config/akka.hocon</c> built into the engine, the file of that name beside the binary, the database chosen in
/// <c>Engine:Persistence</c> (so it is chosen in one place), and any <c>akka</c> keys of the host's configuration
/// (environment variables such as <c>AKKA__PERSISTENCE__JOURNAL__ENGINE__MAX_BATCH_SIZE</c>).
/// </summary>
public static class EngineAkkaConfiguration
{
    private const string BuiltInConfig = "Messaging.Engine.akka.hocon";

    /// <summary>Adds the actor system, with the engine's Akka.Persistence plugin as its journal and snapshot store.</summary>
    public static IServiceCollection AddEngineActorSystem(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = configuration.GetSection(EngineAkkaOptions.SectionName).Get<EngineAkkaOptions>() ?? new EngineAkkaOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MemberUpTimes>();
        services.TryAddSingleton<ClusterViewReader>();
        services.AddAkka(options.SystemName, (builder, provider) =>
        {
            var journal = provider.GetRequiredService<IOptions<JournalOptions>>().Value;
            var contentRoot = provider.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
            builder
                .AddHocon(Settings(options.ConfigFile), HoconAddMode.Prepend)
                .AddHocon(Database(journal, contentRoot), HoconAddMode.Prepend);
            // Only when there are overrides: an empty section becomes `akka = null`, which hides the settings beneath it.
            var overrides = configuration.GetSection("akka");
            if (overrides.Exists())
            {
                builder.AddHocon(overrides, HoconAddMode.Prepend);
            }

            builder
                .AddSetup(new EventStoreSetup(
                    provider.GetRequiredService<ILoggerFactory>(),
                    provider.GetService<TimeProvider>() ?? TimeProvider.System))
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                // Remoting and the cluster's settings come from config/akka.hocon; this selects the cluster provider and
                // adds the defaults of sharding, singletons and distributed data beneath them.
                .WithClustering()
                // Starts the journal and snapshot store with the system, so a store that cannot be opened shows at start.
                .AddStartup((system, _) => Akka.Persistence.Persistence.Instance.Apply(system))
                .AddStartup((system, _) =>
                {
                    provider.GetRequiredService<MemberUpTimes>().Follow(system);
                    ClusterFormation.JoinSelfWhenAlone(system);
                });
        });
        return services;
    }

    /// <summary><paramref name="configFile"/> (relative to the binary) over the built-in copy of <c>config/akka.hocon</c>.</summary>
    internal static Config Settings(string configFile)
    {
        using var stream = typeof(EngineAkkaConfiguration).Assembly.GetManifestResourceStream(BuiltInConfig)
            ?? throw new InvalidOperationException($"The engine was built without {BuiltInConfig}.");
        using var reader = new StreamReader(stream);
        var builtIn = ConfigurationFactory.ParseString(reader.ReadToEnd());
        var path = Path.Combine(AppContext.BaseDirectory, configFile);
        return File.Exists(path) ? ConfigurationFactory.ParseString(File.ReadAllText(path)).WithFallback(builtIn) : builtIn;
    }

    /// <summary>The plugin's database, as <c>Engine:Persistence</c> chose it; SQLite paths resolved against <paramref name="contentRoot"/>.</summary>
    internal static Config Database(JournalOptions journal, string contentRoot) => ConfigurationFactory.ParseString($$"""
        akka.persistence.journal.engine {
          provider = {{(journal.Provider == JournalProvider.Postgres ? "postgres" : "sqlite")}}
          sqlite-path = {{Quoted(Path.Combine(contentRoot, journal.SqlitePath))}}
          sqlite-synchronous = {{journal.SqliteSynchronous}}
          postgres-connection-string = {{Quoted(journal.PostgresConnectionString ?? "")}}
        }
        """);

    // HOCON's quoted strings are JSON's.
    private static string Quoted(string value) => JsonSerializer.Serialize(value);
}

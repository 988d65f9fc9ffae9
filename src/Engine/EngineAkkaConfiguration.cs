using Akka.Actor;
using System.Text.Json;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using Messaging.Engine.Cluster;
using Messaging.Engine.Membership;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Throttling;
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

    /// <summary>The shard region's type name: every node of a cluster hosts its recipients under it.</summary>
    public const string RecipientRegion = "recipient";

    /// <summary>
    /// Adds the actor system, with the engine's Akka.Persistence plugin as its journal and snapshot store, a cluster (a
    /// lone node with no seed nodes joins itself) and the recipients' shard region (<see cref="RecipientRegion"/>; reach
    /// it as <c>IRequiredActor&lt;RecipientEntity&gt;</c>).
    /// </summary>
    public static IServiceCollection AddEngineActorSystem(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = configuration.GetSection(EngineAkkaOptions.SectionName).Get<EngineAkkaOptions>() ?? new EngineAkkaOptions();
        services.TryAddSingleton<RecipientEntityServices>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MemberUpTimes>();
        services.TryAddSingleton<ClusterViewReader>();
        services.TryAddSingleton<BootstrapContactPoint>();
        services.AddAkka(options.SystemName, (builder, provider) =>
        {
            var journal = provider.GetRequiredService<IOptions<JournalOptions>>().Value;
            var contentRoot = provider.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
            var entityServices = new Lazy<RecipientEntityServices>(provider.GetRequiredService<RecipientEntityServices>, LazyThreadSafetyMode.PublicationOnly);
            builder
                // First: the cluster's and sharding's defaults go under the settings prepended after them.
                .WithClustering()
                // Services are resolved when the first entity starts (once), so a host that never routes to a recipient needs none.
                .WithShardRegion<RecipientEntity>(
                    RecipientRegion,
                    entityId => RecipientEntity.Props(EntityKey(entityId), entityServices.Value),
                    new RecipientMessageExtractor(RecipientMessageExtractor.DefaultNumberOfShards),
                    new ShardOptions { HandOffStopMessage = StopRecipient.Instance, StateStoreMode = StateStoreMode.DData, RememberEntities = false })
                // One layer, merged here (overrides first): the environment's akka keys, the database, config/akka.hocon.
                .AddHocon(Overrides(configuration.GetSection("akka"))
                    .WithFallback(Database(journal, contentRoot))
                    .WithFallback(Settings(options.ConfigFile)), HoconAddMode.Prepend)
                .AddSetup(new EventStoreSetup(
                    provider.GetRequiredService<ILoggerFactory>(),
                    provider.GetService<TimeProvider>() ?? TimeProvider.System)
                {
                    // The same choice as the HOCON above, as an object: with the cluster's layers of settings a deep
                    // HOCON path was seen to resolve to the shipped default instead.
                    Database = new JournalOptions
                    {
                        Provider = journal.Provider,
                        SqlitePath = Path.Combine(contentRoot, journal.SqlitePath),
                        SqliteSynchronous = journal.SqliteSynchronous,
                        PostgresConnectionString = journal.PostgresConnectionString,
                    },
                })
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                // Starts the journal and snapshot store with the system, so a store that cannot be opened shows at start.
                .AddStartup((system, _) => Akka.Persistence.Persistence.Instance.Apply(system))
                .AddStartup((system, registry) =>
                {
                    var members = provider.GetRequiredService<MemberUpTimes>();
                    members.Follow(system);
                    system.ActorOf(Props.Create<DroppedRecipientMessages>(), "dropped-recipient-messages");
                    registry.Register<SendSlotAllocator>(RateShare.StartSendSlotAllocator(
                        system, provider.GetRequiredService<TimeProvider>(), ClusterSendSlots.HoldFor(provider.GetRequiredService<IOptions<Aws.AwsOptions>>().Value.RequestTimeout), () => members.OlderMemberSeen));
                    if (provider.GetService<SendThrottles>() is { } throttles)
                    {
                        RateShare.Follow(system, throttles, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILoggerFactory>());
                    }
                })
                // Seed nodes (none configured: a cluster of its own, as the README's run command forms it) or Cluster
                // Bootstrap, as Engine:Akka:Formation chooses.
                .AddStartup((system, _) => ClusterFormation.BeginAsync(system, options.Formation));
        });
        return services;
    }

    /// <summary>
    /// The host configuration's <c>akka</c> keys (environment variables such as <c>AKKA__…</c>) as HOCON; numbered keys
    /// (<c>AKKA__CLUSTER__SEED_NODES__0</c>) become a list.
    /// </summary>
    internal static Config Overrides(IConfigurationSection section)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var lists = new SortedDictionary<string, SortedDictionary<int, string>>(StringComparer.Ordinal);
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
        {
            if (value is null)
            {
                continue;
            }

            // HOCON keys use dashes where variable names cannot.
            var path = "akka." + key.Replace(':', '.').Replace('_', '-').ToLowerInvariant();
            var last = path.LastIndexOf('.');
            if (int.TryParse(path[(last + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                var list = path[..last];
                if (!lists.TryGetValue(list, out var items))
                {
                    lists[list] = items = new SortedDictionary<int, string>();
                }

                items[index] = Quoted(value);
            }
            else
            {
                values[path] = Quoted(value);
            }
        }

        var hocon = new System.Text.StringBuilder();
        foreach (var (path, value) in values)
        {
            hocon.Append(path).Append(" = ").AppendLine(value);
        }

        foreach (var (path, items) in lists)
        {
            hocon.Append(path).Append(" = [").AppendJoin(", ", items.Values).AppendLine("]");
        }

        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    private static RecipientKey EntityKey(string entityId) => RecipientKey.TryParse(entityId, out var key)
        ? key
        : throw new ArgumentException($"'{entityId}' is not a recipient key.", nameof(entityId));

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

using Akka.Configuration;

namespace Messaging.Engine.Recipients.Passivation;

/// <summary>
/// The per-node limit on live recipient entities, from <c>akka.cluster.sharding.recipient-passivation</c> in
/// <c>config/akka.hocon</c>. Akka.NET 1.5's sharding passivates on an idle timeout only; this adds the
/// least-recently-used limit beside it.
/// </summary>
/// <param name="ActiveEntityLimit">Live entities a node holds at most before the least recently used are passivated; 0: no limit.</param>
/// <param name="PassivateDownTo">
/// Above the limit, the least recently used are passivated until this fraction of it is left, so a sweep (a sort of the
/// live entities) is paid once per many wakes rather than once per wake.
/// </param>
internal sealed record RecipientPassivationSettings(int ActiveEntityLimit, double PassivateDownTo)
{
    public const string Section = "akka.cluster.sharding.recipient-passivation";

    /// <summary>No limit: what a system without the section (a test's own configuration) gets.</summary>
    public static RecipientPassivationSettings Off { get; } = new(0, 1.0);

    /// <summary>Live entities left after a sweep.</summary>
    public int KeepAfterSweep => (int)Math.Floor(ActiveEntityLimit * PassivateDownTo);

    public static RecipientPassivationSettings From(Config systemConfig)
    {
        var section = systemConfig.GetConfig(Section);
        if (section is null || section.IsEmpty)
        {
            return Off;
        }

        var limit = section.GetString("active-entity-limit", "off") is "off" or "0" ? 0 : section.GetInt("active-entity-limit");
        var settings = new RecipientPassivationSettings(limit, section.GetDouble("passivate-down-to", 0.9));
        if (settings.ActiveEntityLimit < 0)
        {
            throw new ConfigurationException($"{Section}.active-entity-limit must be off, 0 or a positive number, not {settings.ActiveEntityLimit}.");
        }

        if (settings.PassivateDownTo is not (> 0 and <= 1))
        {
            throw new ConfigurationException($"{Section}.passivate-down-to must be above 0 and at most 1, not {settings.PassivateDownTo}.");
        }

        return settings;
    }
}

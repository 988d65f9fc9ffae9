namespace Messaging.Engine.Persistence.Sql;

/// <summary>One numbered, forward-only schema change. Applied once, in order, inside a transaction.</summary>
internal sealed record SchemaMigration(int Version, string Name, string Sql);

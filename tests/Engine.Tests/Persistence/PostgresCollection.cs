using Messaging.Testing;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>One private PostgreSQL server for every test class that needs one.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}

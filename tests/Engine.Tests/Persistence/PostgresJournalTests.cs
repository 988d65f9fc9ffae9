using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>The database conformance suite on a real PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJournalTests(PostgresServer server) : JournalConformanceTests
{
    private string _connectionString = "";

    protected override async Task CreateStorageAsync() => _connectionString = await server.CreateDatabaseAsync();

    private protected override SqlDialect NewDialect() => new PostgresDialect(_connectionString);

    // Port 1 on loopback: nothing listens, the connection is refused at once.
    private protected override SqlDialect UnreachableDialect() =>
        new PostgresDialect("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=5");
}

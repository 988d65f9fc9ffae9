namespace Messaging.Benchmarks;

/// <summary>Which database a benchmark's journal runs on.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

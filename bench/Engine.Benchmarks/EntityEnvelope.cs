namespace Messaging.Benchmarks;

/// <summary>A command for one entity of the benchmark's shard region, as the region's message extractor reads it.</summary>
internal sealed record EntityEnvelope(string EntityId, object Message);

namespace Messaging.Engine.Membership;

/// <summary>The shards a node hosts in the <c>recipient</c> region, and their live entities.</summary>
public sealed record NodeShardsView(string Address, int Shards, int Entities);

using System.Collections.Frozen;

namespace Messaging.Engine.Persistence;

/// <summary>
/// Types journaled or sent between nodes under explicit names, never their CLR names, so a class can be renamed or
/// moved without breaking a stored history or the wire between nodes of two builds. A name, once used, keeps its meaning.
/// </summary>
public sealed class StableTypeNames
{
    private readonly FrozenDictionary<Type, StableType> _byType;
    private readonly FrozenDictionary<string, StableType> _byName;

    public StableTypeNames(IEnumerable<StableType> types)
    {
        var all = types.ToArray();
        // ToDictionary first: it refuses a type or a name listed twice, where freezing would keep one silently.
        _byType = all.ToDictionary(t => t.Clr).ToFrozenDictionary();
        _byName = all.ToDictionary(t => t.Name, StringComparer.Ordinal).ToFrozenDictionary(StringComparer.Ordinal);
        All = all;
    }

    public IReadOnlyList<StableType> All { get; }

    public bool TryGet(Type clr, out StableType type) => _byType.TryGetValue(clr, out type!);

    public bool TryGet(string name, out StableType type) => _byName.TryGetValue(name, out type!);

    /// <exception cref="ArgumentException"><paramref name="clr"/> has no stable name.</exception>
    public StableType Of(Type clr) =>
        TryGet(clr, out var type) ? type : throw new ArgumentException($"{clr.Name} has no stable type name.", nameof(clr));
}

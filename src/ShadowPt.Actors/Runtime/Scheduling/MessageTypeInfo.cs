using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// What the trace needs to know about a message type: the stable hash of its full name and whether it
/// is <see cref="ITraceable"/>. Both are pure functions of the type, so one process-wide cache serves
/// every scheduler: a run no longer rebuilds <see cref="Type.FullName"/> strings and hashes them again
/// for each new world. A <see cref="ConcurrentDictionary{TKey, TValue}"/>, as explore workers and the
/// threaded scheduler's tests run worlds on several threads; reads take no lock, and a racing first
/// insert computes the same value twice at worst. In front of it, a small direct-mapped table of the
/// same immutable entries, indexed by the type's identity hash: a reference compare instead of a
/// dictionary lookup on most deliveries. Threads share it safely: a slot only ever holds a reference
/// to a complete, immutable entry, checked against the type before use.
/// </summary>
internal sealed class MessageTypeInfo
{
    /// <summary>Slots of <see cref="Recent"/>; a power of two.</summary>
    private const int RecentLength = 64;

    private static readonly ConcurrentDictionary<Type, MessageTypeInfo> Cache = new();

    private static readonly MessageTypeInfo?[] Recent = new MessageTypeInfo?[RecentLength];

    private MessageTypeInfo(Type type)
    {
        Type = type;
        Hash = TraceHash.OfString(type.FullName ?? type.Name);
        Traceable = typeof(ITraceable).IsAssignableFrom(type);
    }

    public Type Type { get; }

    /// <summary>The stable hash of the type's full name.</summary>
    public ulong Hash { get; }

    /// <summary>Whether messages of the type add their own <see cref="ITraceable.TraceFingerprint"/>.</summary>
    public bool Traceable { get; }

    /// <summary>The entry of <paramref name="type"/>.</summary>
    public static MessageTypeInfo Of(Type type)
    {
        int slot = RuntimeHelpers.GetHashCode(type) & (RecentLength - 1);
        MessageTypeInfo? recent = Recent[slot];
        if (recent is not null && ReferenceEquals(recent.Type, type))
        {
            return recent;
        }

        MessageTypeInfo info = Cache.GetOrAdd(type, static t => new MessageTypeInfo(t));
        Recent[slot] = info;
        return info;
    }
}

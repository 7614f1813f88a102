using System.Collections.Concurrent;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// What the trace needs to know about a message type: the stable hash of its full name and whether it
/// is <see cref="ITraceable"/>. Both are pure functions of the type, so one process-wide cache serves
/// every scheduler: a run no longer rebuilds <see cref="Type.FullName"/> strings and hashes them again
/// for each new world. A <see cref="ConcurrentDictionary{TKey, TValue}"/>, as explore workers and the
/// threaded scheduler's tests run worlds on several threads; reads take no lock, and a racing first
/// insert computes the same value twice at worst.
/// </summary>
internal static class MessageTypeInfo
{
    private static readonly ConcurrentDictionary<Type, (ulong Hash, bool Traceable)> Cache = new();

    /// <summary>The type's trace hash and whether it is <see cref="ITraceable"/>.</summary>
    public static (ulong Hash, bool Traceable) Of(Type type) => Cache.GetOrAdd(type, Compute);

    private static (ulong Hash, bool Traceable) Compute(Type type)
        => (TraceHash.OfString(type.FullName ?? type.Name), typeof(ITraceable).IsAssignableFrom(type));
}

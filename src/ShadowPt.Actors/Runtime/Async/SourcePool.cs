namespace ShadowPt.Runtime.Async;

/// <summary>
/// Small per-thread pools of sources, one per type of source (one per type of state-machine box). A
/// box is rented when its method first suspends and goes back when the awaiter took its result
/// (<see cref="ActorTaskSource.GetResult(int)"/>): then its method has returned, its continuation ran,
/// and the only references left are copies of the task, which carry the old
/// <see cref="ActorTaskSource.Version"/> and throw if used. Thread-static, so no lock and no sharing:
/// under the threaded scheduler a box may go back to another thread's pool than the one it came from,
/// which is fine, as no one owns it at that point. One non-generic thread-static array indexed by a
/// per-type number, not a thread-static per generic type: the runtime reaches the latter through a
/// slow helper when the code is shared between reference types, which cost more than the allocation saved.
/// </summary>
internal static class SourcePool
{
    /// <summary>Sources kept per thread and type: more than the calls of one type that are suspended at once in a world.</summary>
    private const int DepthMax = 32;

    /// <summary>This thread's pools: the head of each type's list, by <see cref="NewTypeIndex"/>.</summary>
    [ThreadStatic]
    private static Slot[]? t_heads;

    private static int s_types;

    /// <summary>A number for a new pooled type, from its static initializer.</summary>
    public static int NewTypeIndex() => Interlocked.Increment(ref s_types) - 1;

    /// <summary>A pooled source of type number <paramref name="index"/>, or null when that pool is empty.</summary>
    public static ActorTaskSource? Rent(int index)
    {
        Slot[]? heads = t_heads;
        if (heads is null || (uint)index >= (uint)heads.Length)
        {
            return null;
        }

        ActorTaskSource? head = heads[index].Head;
        if (head is not null)
        {
            heads[index].Head = head.PoolNext;
            head.PoolNext = null;
        }

        return head;
    }

    /// <summary>Takes back a source of type number <paramref name="index"/> whose use is over (already reset), unless the pool is full.</summary>
    public static void Return(int index, ActorTaskSource source)
    {
        Slot[]? heads = t_heads;
        if (heads is null || (uint)index >= (uint)heads.Length)
        {
            heads = Grow(index);
        }

        ActorTaskSource? head = heads[index].Head;
        int depth = head is null ? 1 : head.PoolDepth + 1;
        if (depth <= DepthMax)
        {
            source.PoolDepth = depth;
            source.PoolNext = head;
            heads[index].Head = source;
        }
    }

    private static Slot[] Grow(int index)
    {
        Slot[]? heads = t_heads;
        Array.Resize(ref heads, Math.Max(64, (index + 1) * 2));
        t_heads = heads;
        return heads;
    }

    /// <summary>One pool's head; a struct, so that storing a derived source needs no array covariance check.</summary>
    private struct Slot
    {
        public ActorTaskSource? Head;
    }
}

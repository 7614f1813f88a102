namespace ShadowPt.Kernel;

/// <summary>
/// The slot of a small direct-mapped table of immutable values made for a 64-bit word (a memory reply,
/// an access result): the inspector loads the same words every tick of every schedule, so a value made
/// lately is handed out again instead of a new, equal one. The table is its owner's thread-static field,
/// passed by reference (a thread-static field of a generic type would be reached through a slow helper).
/// </summary>
internal static class RecentWords
{
    /// <summary>Slots per table (a power of two).</summary>
    public const int Slots = 256;

    /// <summary>The slot of <paramref name="word"/> in <paramref name="table"/>, made on first use; the caller checks what it holds.</summary>
    public static ref T? Slot<T>(ref T?[]? table, ulong word)
        where T : class
    {
        table ??= new T?[Slots];
        return ref table[(int)((word >> 12) ^ word) & (Slots - 1)];
    }
}

namespace ShadowPt.Kernel;

/// <summary>
/// Something told about frames going back to the allocator and about misuse of free frames (the
/// TLB-coherence checker, through <see cref="KernelState"/>). Called synchronously by the allocator;
/// it must not change the allocator.
/// </summary>
internal interface IFrameWatcher
{
    /// <summary><paramref name="pfn"/> was freed by <paramref name="who"/>; its record already says free.</summary>
    void Freed(Pfn pfn, Provenance who);

    /// <summary>
    /// <paramref name="who"/> is about to <paramref name="operation"/> (read, write, map, get_page...)
    /// the free frame <paramref name="pfn"/>; the allocator throws its own report right after.
    /// </summary>
    void UsedAfterFree(Pfn pfn, Provenance who, string operation);
}

/// <summary>The allocator's watcher, for checkers.</summary>
public sealed partial class FrameAllocator
{
    /// <summary>Told of every free and every use after free; null when nothing watches.</summary>
    internal IFrameWatcher? Watcher { get; set; }
}

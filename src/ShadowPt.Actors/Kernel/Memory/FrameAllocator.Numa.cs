namespace ShadowPt.Kernel;

/// <summary>Allocation on a chosen NUMA node (Kernel/Numa): the oldest free frame that passes a filter.</summary>
public sealed partial class FrameAllocator
{
    /// <summary>
    /// alloc_pages_node: like <see cref="AllocPage"/>, but takes the oldest free frame for which
    /// <paramref name="accept"/> holds (its node), moving it to the head of the free list first; null
    /// when none does. O(free frames); only NUMA migration uses it, and the first call gives the free list
    /// a slot per frame (see <see cref="MaterializeFreeList"/>).
    /// </summary>
    public Pfn? AllocPageWhere(FrameKind kind, Provenance who, Func<Pfn, bool> accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        MaterializeFreeList();
        for (int i = 0; i < _ringCount; i++)
        {
            int slot = (_freeHead + i) % _freeRing.Length;
            int pfn = _freeRing[slot];
            if (accept(new Pfn((ulong)pfn)))
            {
                _freeRing[slot] = _freeRing[_freeHead];
                _freeRing[_freeHead] = pfn;
                return AllocPage(kind, who);
            }
        }

        return null;
    }
}

namespace ShadowPt.Kernel;

/// <summary>madvise(MADV_DONTNEED): which ranges to zap. The VMAs themselves do not change.</summary>
/// <remarks>
/// mm/madvise.c madvise_walk_vmas and madvise_dontneed_free: a hole makes the call return ENOMEM but
/// the mapped parts are still zapped; a VM_LOCKED, VM_PFNMAP or VM_HUGETLB VMA stops the walk with
/// EINVAL (can_madv_lru_vma). The caller zaps each range (zap_page_range_single) under mmap_lock for
/// read, with mmu_notifier invalidation and a TLB flush, and never frees page tables here.
/// </remarks>
public static class Madvise
{
    /// <summary>VMAs whose pages MADV_DONTNEED refuses to drop.</summary>
    public const VmFlags DontneedRefused = VmFlags.Locked | VmFlags.PfnMap | VmFlags.HugeTlb;

    /// <summary>The ranges MADV_DONTNEED over [start, start + length) zaps, and the error the call returns.</summary>
    public static (Errno Error, IReadOnlyList<AddrRange> Ranges) DontneedRanges(MmStruct mm, VirtAddr start, ulong length)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var ranges = new List<AddrRange>();
        ulong len = VirtAddr.PageAlignLength(length);
        if (!start.IsPageAligned || (len == 0 && length != 0) || start.Value + len < start.Value)
        {
            return (Errno.EINVAL, ranges);
        }

        VirtAddr end = start + len;
        Errno error = Errno.None;
        VirtAddr next = start;
        for (int index = mm.Vmas.FindVmaIndex(start); index < mm.Vmas.Count && mm.Vmas[index].VmStart < end; index++)
        {
            Bug.On(index > VmaTree.VmasMax, "madvise: runaway loop");
            VmArea vma = mm.Vmas[index];
            error = vma.VmStart > next ? Errno.ENOMEM : error;
            if ((vma.VmFlags & DontneedRefused) != 0)
            {
                return (Errno.EINVAL, ranges);
            }

            ranges.Add(new AddrRange(VirtAddr.Max(vma.VmStart, start), VirtAddr.Min(vma.VmEnd, end)));
            next = vma.VmEnd;
        }

        return (next < end ? Errno.ENOMEM : error, ranges);
    }
}

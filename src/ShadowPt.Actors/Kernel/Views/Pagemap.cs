namespace ShadowPt.Kernel;

/// <summary>
/// /proc/PID/pagemap: one 64-bit entry per virtual page, laid out as
/// Documentation/admin-guide/mm/pagemap.rst describes it.
/// </summary>
/// <remarks>
/// fs/proc/task_mmu.c pte_to_pagemap_entry and pagemap_pte_hole. Bits 0-54 pfn (present) or swap type
/// (0-4) and offset (5-54); 55 soft-dirty (the PTE's, or the VMA's VM_SOFTDIRTY); 56 exclusively mapped
/// (page_mapcount == 1); 57 uffd-wp; 61 file page or shared anonymous; 62 swapped; 63 present.
/// Pages without a struct page (the zero page, special PTEs of remap_pfn_range) have neither bit 56 nor 61,
/// as vm_normal_page returns NULL for them. Outside every VMA the entry is zero. Without
/// CONFIG_MEM_SOFT_DIRTY (<see cref="MmLayout.MemSoftDirty"/>) bit 55 is never set.
/// </remarks>
public static class Pagemap
{
    public const int PfnBits = 55;
    public const ulong PfnMask = (1UL << PfnBits) - 1;
    public const ulong SoftDirty = 1UL << 55;
    public const ulong MmapExclusive = 1UL << 56;
    public const ulong UffdWp = 1UL << 57;
    public const ulong File = 1UL << 61;
    public const ulong Swap = 1UL << 62;
    public const ulong Present = 1UL << 63;

    /// <summary>MAX_SWAPFILES_SHIFT: the swap offset sits above 5 bits of type.</summary>
    public const int MaxSwapfilesShift = 5;

    /// <summary>Largest read in pages, like a bounded read buffer.</summary>
    public const int PagesPerReadMax = 1 << 20;

    /// <summary>
    /// The entries of <paramref name="pages"/> pages from <paramref name="start"/> (page aligned).
    /// <paramref name="showPfn"/> false zeroes the pfn field, as for a reader without CAP_SYS_ADMIN.
    /// </summary>
    public static ulong[] Read(MmStruct mm, FrameAllocator frames, VirtAddr start, int pages, bool showPfn = true)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pages, PagesPerReadMax);
        Bug.On(!start.IsPageAligned, "Pagemap.Read: start must be page aligned");
        var entries = new ulong[pages];
        for (int i = 0; i < pages; i++)
        {
            VirtAddr address = start + ((ulong)i << PageGeometry.PageShift);
            VmArea? vma = mm.Vmas.VmaLookup(address);
            ulong entry = vma is null ? 0 : PteToPagemapEntry(vma, mm.Pgd.GetPte(address), frames, showPfn);
            entries[i] = mm.Layout.MemSoftDirty ? entry : entry & ~SoftDirty;
        }

        return entries;
    }

    /// <summary>pte_to_pagemap_entry for a page inside <paramref name="vma"/> whose PTE is <paramref name="pte"/>, with soft-dirty tracked.</summary>
    public static ulong PteToPagemapEntry(VmArea vma, Pte pte, FrameAllocator frames, bool showPfn = true)
    {
        ArgumentNullException.ThrowIfNull(vma);
        ArgumentNullException.ThrowIfNull(frames);
        ulong frame = 0;
        ulong flags = 0;
        Pfn? page = null;
        if (pte.IsPresent)
        {
            frame = showPfn ? pte.Pfn.Value : 0;
            flags |= Present | (pte.IsSoftDirty ? SoftDirty : 0) | (pte.IsUffdWp ? UffdWp : 0);
            page = VmNormalPage(pte, frames);
        }
        else if (pte.IsSwap)
        {
            SwpEntry entry = pte.PteToSwpEntry();
            frame = showPfn ? entry.Type | (entry.Offset << MaxSwapfilesShift) : 0;
            flags |= Swap | (pte.IsSwpSoftDirty ? SoftDirty : 0) | (pte.IsSwpUffdWp ? UffdWp : 0);
        }

        if (page is Pfn pfn)
        {
            flags |= frames.Kind(pfn) != FrameKind.Anon ? File : 0;
            flags |= frames.PageMapCount(pfn) == 1 ? MmapExclusive : 0;
        }

        flags |= (vma.VmFlags & VmFlags.SoftDirty) != 0 ? SoftDirty : 0;
        return (frame & PfnMask) | flags;
    }

    /// <summary>
    /// vm_normal_page: the frame behind a present PTE, or null for special PTEs, the zero page and pfns
    /// outside memory. A present PTE to a free frame throws <see cref="FrameStateException"/>.
    /// </summary>
    public static Pfn? VmNormalPage(Pte pte, FrameAllocator frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        Bug.On(!pte.IsPresent, "VmNormalPage: PTE not present");
        Pfn pfn = pte.Pfn;
        if (pte.IsSpecial || pfn == FrameAllocator.ZeroPfn || !frames.InRange(pfn))
        {
            return null;
        }

        frames.CheckAllocated(pfn, new Provenance(-1, "vm_normal_page"));
        return pfn;
    }
}

namespace ShadowPt.Kernel;

/// <summary>remap_pfn_range: maps raw frames into a user VMA with special PTEs (no struct page accounting).</summary>
/// <remarks>
/// mm/memory.c remap_pfn_range_notrack and remap_pte_range. The VMA becomes
/// VM_IO|VM_PFNMAP|VM_DONTEXPAND|VM_DONTDUMP, so it never merges, is skipped by mlock and refused by
/// MADV_DONTNEED. A private writable (COW) mapping must be remapped whole, and its vm_pgoff becomes the
/// first pfn, as in the kernel. Every target PTE must be none (the kernel BUG_ONs otherwise).
/// Caller holds mmap_lock for write; the frames' reference counts are the caller's business.
/// </remarks>
public static class RemapPfn
{
    /// <summary>The flags remap_pfn_range sets on the VMA.</summary>
    public const VmFlags RemapFlags = VmFlags.Io | VmFlags.PfnMap | VmFlags.DontExpand | VmFlags.DontDump;

    /// <summary>Pages one call may map (MAX_SPT_RANGE of the shadow spec is 2048).</summary>
    public const ulong PagesMax = 1 << 20;

    /// <summary>
    /// Maps <paramref name="pages"/> frames from <paramref name="pfn"/> at <paramref name="addr"/>, inside one VMA,
    /// with <paramref name="prot"/>. Returns EINVAL for a range outside one VMA or a partial COW remap,
    /// ENOMEM when page tables cannot be allocated (mapped pages stay, as in the kernel before its cleanup).
    /// </summary>
    public static Errno RemapPfnRange(MmStruct mm, VirtAddr addr, Pfn pfn, ulong pages, PgProt prot, Provenance who)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentOutOfRangeException.ThrowIfZero(pages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pages, PagesMax);
        VirtAddr end = addr + (pages << PageGeometry.PageShift);
        int index = mm.Vmas.FindVmaIndex(addr);
        if (!addr.IsPageAligned || index >= mm.Vmas.Count || mm.Vmas[index].VmStart > addr || mm.Vmas[index].VmEnd < end)
        {
            return Errno.EINVAL;
        }

        VmArea vma = mm.Vmas[index];
        bool cow = (vma.VmFlags & (VmFlags.Shared | VmFlags.MayWrite)) == VmFlags.MayWrite;
        if (cow && (addr != vma.VmStart || end != vma.VmEnd))
        {
            return Errno.EINVAL;
        }

        mm.Vmas.ReplaceAt(index, new VmArea(vma.VmStart, vma.VmEnd, vma.VmFlags | RemapFlags, cow ? pfn.Value : vma.VmPgoff, vma.VmFile, vma.AnonVma));
        return RemapPteRange(mm.Pgd, addr, pfn, pages, prot, who);
    }

    private static Errno RemapPteRange(PageTable pgd, VirtAddr addr, Pfn pfn, ulong pages, PgProt prot, Provenance who)
    {
        for (ulong i = 0; i < pages; i++)
        {
            VirtAddr address = addr + (i << PageGeometry.PageShift);
            if (pgd.PteAlloc(address, who) is null)
            {
                return Errno.ENOMEM;
            }

            Bug.On(!pgd.GetPte(address).IsNone, "remap_pte_range: PTE already in use");
            pgd.SetPteAt(address, Pte.MkPte(new Pfn(pfn.Value + i), prot).PteMkSpecial());
        }

        return Errno.None;
    }
}

/// <summary>Remapping frames that are not physically contiguous, one PTE each (alloc_pages_exact gives contiguous frames; our allocator need not).</summary>
public static class RemapPfns
{
    /// <summary>
    /// Like <see cref="RemapPfn.RemapPfnRange"/> over exactly the VMA at <paramref name="addr"/>, mapping
    /// <paramref name="pfns"/> in order. The VMA must span exactly the frames' pages.
    /// </summary>
    public static Errno RemapPfnList(MmStruct mm, VirtAddr addr, IReadOnlyList<Pfn> pfns, Provenance who)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(pfns);
        Bug.On(pfns.Count == 0 || (ulong)pfns.Count > RemapPfn.PagesMax, "RemapPfnList: bad frame count");
        int index = mm.Vmas.FindVmaIndex(addr);
        VirtAddr end = addr + ((ulong)pfns.Count << PageGeometry.PageShift);
        if (index >= mm.Vmas.Count || mm.Vmas[index].VmStart != addr || mm.Vmas[index].VmEnd != end)
        {
            return Errno.EINVAL;
        }

        VmArea vma = mm.Vmas[index];
        mm.Vmas.ReplaceAt(index, new VmArea(vma.VmStart, vma.VmEnd, vma.VmFlags | RemapPfn.RemapFlags, pfns[0].Value, vma.VmFile, vma.AnonVma));
        PgProt prot = mm.Vmas[index].PageProt;
        for (int i = 0; i < pfns.Count; i++)
        {
            VirtAddr address = addr + ((ulong)i << PageGeometry.PageShift);
            if (mm.Pgd.PteAlloc(address, who) is null)
            {
                return Errno.ENOMEM;
            }

            Bug.On(!mm.Pgd.GetPte(address).IsNone, "remap_pte_range: PTE already in use");
            mm.Pgd.SetPteAt(address, Pte.MkPte(pfns[i], prot).PteMkSpecial());
        }

        return Errno.None;
    }


}

using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// madvise(MADV_PAGEOUT) and process_madvise(MADV_PAGEOUT): reclaim the private anonymous pages of a
/// range to the swap device. Each page mapped once by a normal anonymous PTE is unmapped with the
/// kernel's ordering: under the PTE lock the PTE is cleared and every TLB flushed (ptep_clear_flush),
/// the contents are written to a fresh slot, and the PTE becomes the swap entry (soft-dirty carried in
/// _PAGE_SWP_SOFT_DIRTY); only after the PTE lock is dropped is the frame freed.
/// </summary>
/// <remarks>
/// mm/madvise.c madvise_pageout and madvise_cold_or_pageout_pte_range (a VM_LOCKED, VM_PFNMAP or
/// VM_HUGETLB VMA makes the call fail with EINVAL, as can_madv_lru_vma says; pages mapped more than
/// once are skipped), mm/vmscan.c reclaim_pages / shrink_folio_list, mm/rmap.c try_to_unmap_one.
/// Simplified: no LRU and no swap cache (the page goes straight to its slot), no file or shmem
/// page-out, pages with extra references (pinned, or being copied by do_wp_page) are skipped.
/// The mmu_notifier sees MMU_NOTIFY_CLEAR for each page unmapped.
/// </remarks>
public static class Pageout
{
    /// <summary>madvise(addr, length, MADV_PAGEOUT) on the caller's mm, or process_madvise on another. No locks held.</summary>
    public static async ActorTask<long> SysMadvisePageout(KernelContext k, MadvisePageoutCall call)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(call);
        if (await ProcTarget.GetTaskMm(k, 0, call.Target) is not MmId mm)
        {
            return Syscalls.Err(Errno.ESRCH);
        }

        await k.MmapReadLock(mm);
        (Errno error, IReadOnlyList<AddrRange> ranges) = await k.Mem("madvise_pageout", s => Madvise.DontneedRanges(s.Mm(mm), call.Addr, call.Length));
        int pagedOut = 0;
        foreach (AddrRange range in ranges)
        {
            for (VirtAddr page = range.Start; page < range.End; page += PageGeometry.PageSize)
            {
                pagedOut += await PageoutPage(k, mm, page) ? 1 : 0;
            }
        }

        k.MmapReadUnlock(mm);
        await ProcTarget.MmPut(k, mm);
        Bug.On(pagedOut > ranges.Sum(r => (long)r.Pages), "madvise_pageout: more pages than the range");
        return error == Errno.None ? 0 : Syscalls.Err(error);
    }

    /// <summary>
    /// Reclaims one page of <paramref name="mm"/> if it can go to swap; returns whether it did.
    /// Caller holds mmap_lock for read; the PTE lock is taken and released here.
    /// </summary>
    public static async ActorTask<bool> PageoutPage(KernelContext k, MmId mm, VirtAddr page)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.MmapAssertLocked(mm, "madvise_pageout");
        if (await k.Mem("pte_offset_map_lock", s => s.Mm(mm).Pgd.PteTableOf(page)) is not PtePageId table)
        {
            return false;
        }

        string who = k.Label("try_to_unmap_one");
        var range = new MmuNotifierRange(mm, new AddrRange(page, page + PageGeometry.PageSize), MmuNotifierEvent.Clear);
        await k.MmuNotifierInvalidateRangeStart(range);
        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        (Pte old, SwpEntry? slot) = await k.Mem("try_to_unmap_one", s =>
        {
            MmStruct m = s.Mm(mm);
            Pte pte = m.Pgd.GetPte(page);
            if (!CanPageOut(s, m.Vmas.VmaLookup(page), pte) || SwapInfo.Of(s).GetSwapPage() is not SwpEntry entry)
            {
                return (pte, (SwpEntry?)null);
            }

            m.Pgd.PtepGetAndClear(page); // ptep_clear_flush: the flush follows under the PTE lock
            return (pte, entry);
        });
        if (slot is SwpEntry swp)
        {
            await k.FlushTlbMmRange(mm, range.Range, freedTables: false);
            await k.Mem("pageout", s =>
            {
                // No CPU can reach the frame now: read it into the slot, then install the swap entry.
                var contents = new byte[PageGeometry.PageSize];
                s.Frames.ReadBytes(old.Pfn, 0, contents, s.Who(who));
                SwapInfo.Of(s).SwapWritepage(swp, contents);
                Pte swapPte = Pte.SwpEntryToPte(swp);
                s.Mm(mm).Pgd.SetPteAt(page, old.IsSoftDirty ? swapPte.PteSwpMkSoftDirty() : swapPte);
                s.Frames.RemoveMapCount(old.Pfn, s.Who(who)); // folio_remove_rmap_pte
                return true;
            });
        }

        k.Unlock(ptl, LockMode.Exclusive);
        await k.MmuNotifierInvalidateRangeEnd(range);
        if (slot is not null)
        {
            await k.Mem("free_folio", s => s.Frames.PutPage(old.Pfn, s.Who(who))); // after the shootdown
        }

        return slot is not null;
    }

    /// <summary>
    /// Whether reclaim may send the page behind <paramref name="pte"/> to swap: a present, normal,
    /// anonymous page of a private, unlocked VMA, mapped once and referenced only by that mapping.
    /// </summary>
    public static bool CanPageOut(KernelState s, VmArea? vma, Pte pte)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (vma is null || !vma.IsAnonymous || (vma.VmFlags & (VmFlags.Shared | VmFlags.Locked)) != 0 || !pte.IsPresent)
        {
            return false;
        }

        Pfn pfn = pte.Pfn;
        return !pte.IsSpecial && pfn != FrameAllocator.ZeroPfn && s.Frames.InRange(pfn) && s.Frames.Kind(pfn) == FrameKind.Anon
            && s.Frames.PageMapCount(pfn) == 1 && s.Frames.PageRefCount(pfn) == 1;
    }
}

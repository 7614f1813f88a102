using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>mprotect and madvise(MADV_DONTNEED).</summary>
public static partial class Syscalls
{
    /// <summary>
    /// mprotect (do_mprotect_pkey → mprotect_fixup → change_protection): split and re-flag the VMAs,
    /// rewrite the present PTEs under their locks, flush the TLBs.
    /// </summary>
    private static async ActorTask<long> SysMprotect(KernelContext k, MprotectCall call)
    {
        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        FlagChangeResult result = await k.Mem("do_mprotect_pkey", s => Mprotect.DoMprotect(s.Mm(mm), call.Addr, call.Length, call.Prot));
        bool changed = false;
        foreach (VmaFlagChange change in result.Changes)
        {
            changed |= await ChangeProtection(k, mm, change);
        }

        if (changed)
        {
            AddrRange all = new(result.Changes[0].Range.Start, result.Changes[^1].Range.End);
            await k.FlushTlbMmRange(mm, all, freedTables: false); // tlb_finish_mmu
        }

        if (result.Changes.Count > 0)
        {
            await k.VmaHooks.VmaChanged(k, mm, new AddrRange(result.Changes[0].Range.Start, result.Changes[^1].Range.End));
        }

        k.MmapWriteUnlock(mm);
        return result.Error == Errno.None ? 0 : Err(result.Error);
    }

    /// <summary>
    /// change_protection over one VMA's range: each present PTE gets the new protection; a private
    /// anonymous page only this mm maps may become writable at once (can_change_pte_writable), so the
    /// next write takes no fault. Returns whether any PTE changed. Caller holds mmap_lock for write.
    /// </summary>
    private static ActorTask<bool> ChangeProtection(KernelContext k, MmId mm, VmaFlagChange change) =>
        ChangeProtectionRange(k, mm, change.Range, "", (s, table) => ChangePteRange(s, mm, table, change));

    /// <summary>
    /// The walk change_protection shares between mprotect and NUMA balancing (MM_CP_PROT_NUMA): the PTE
    /// tables over <paramref name="range"/>, inside one notifier range, each changed by
    /// <paramref name="changePteRange"/> under its PTE lock. <paramref name="tag"/> follows the names of the
    /// memory operations (" (prot_numa)" for the scanner). Returns whether any PTE changed. Caller holds mmap_lock.
    /// </summary>
    internal static async ActorTask<bool> ChangeProtectionRange(KernelContext k, MmId mm, AddrRange range, string tag, Func<KernelState, PtePageId, bool> changePteRange)
    {
        ArgumentNullException.ThrowIfNull(changePteRange);
        var notifier = new MmuNotifierRange(mm, range, MmuNotifierEvent.ProtectionVma);
        PtePageId[] tables = await k.Mem("change_pmd_range" + tag, s => PtePagesOf(s.Mm(mm).Pgd, range));
        if (tables.Length == 0)
        {
            return false;
        }

        await k.MmuNotifierInvalidateRangeStart(notifier);
        bool changed = false;
        foreach (PtePageId table in tables)
        {
            var ptl = new PtlRef(table);
            await k.Lock(ptl, LockMode.Exclusive);
            changed |= await k.Mem("change_pte_range" + tag, s => changePteRange(s, table));
            k.Unlock(ptl, LockMode.Exclusive);
        }

        await k.MmuNotifierInvalidateRangeEnd(notifier);
        return changed;
    }

    private static bool ChangePteRange(KernelState s, MmId mm, PtePageId table, VmaFlagChange change)
    {
        PageTable pgd = s.Mm(mm).Pgd;
        VmArea vma = s.Mm(mm).Vmas.VmaLookup(change.Range.Start) ?? throw new KernelBugException($"no VMA at {change.Range.Start} after mprotect");
        bool tryWritable = (change.NewFlags & VmFlags.Write) != 0;
        bool changed = false;
        AddrRange part = ClampToTable(change.Range, table, pgd);
        for (VirtAddr addr = part.Start; addr < part.End; addr += PageGeometry.PageSize)
        {
            Pte old = pgd.GetPte(addr);
            if (!old.IsPresent)
            {
                continue;
            }

            Pte updated = old.PteModify(vma.PageProt);
            if (tryWritable && !updated.IsWrite && CanChangePteWritable(s, vma, old))
            {
                updated = updated.PteMkWrite();
            }

            if (updated != old)
            {
                pgd.SetPteAt(addr, updated);
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>
    /// can_change_pte_writable: a shared mapping's dirty page, or a private mapping's anonymous page
    /// that only this mapping uses (our stand-in for PageAnonExclusive: one map, one reference).
    /// </summary>
    private static bool CanChangePteWritable(KernelState s, VmArea vma, Pte pte)
    {
        if (SoftDirty.PteNeedsSoftDirtyWp(s.Config.MemSoftDirty, vma, pte))
        {
            return false; // the next write must fault to set soft-dirty
        }

        if ((vma.VmFlags & VmFlags.Shared) != 0)
        {
            return pte.IsDirty;
        }

        Pfn pfn = pte.Pfn;
        return !pte.IsSpecial && pfn != FrameAllocator.ZeroPfn && s.Frames.Kind(pfn) == FrameKind.Anon
            && s.Frames.PageMapCount(pfn) == 1 && s.Frames.PageRefCount(pfn) == 1;
    }

    /// <summary>madvise(MADV_DONTNEED): zap the ranges (zap_page_range_single), flush, free. mmap_lock for read.</summary>
    private static async ActorTask<long> SysMadviseDontneed(KernelContext k, VirtAddr addr, ulong length)
    {
        MmId mm = k.Mm;
        await k.MmapReadLock(mm);
        (Errno error, IReadOnlyList<AddrRange> ranges, int uffd) = await k.Mem("madvise_dontneed_free", s =>
        {
            (Errno e, IReadOnlyList<AddrRange> r) = Madvise.DontneedRanges(s.Mm(mm), addr, length);
            return (e, r, UffdEvents.RemovePrep(s, mm, addr, length));
        });
        if (uffd != 0)
        {
            // userfaultfd_remove: drop mmap_lock, report REMOVE, wait until it is read, then look again.
            k.MmapReadUnlock(mm);
            await UffdEvents.EventWaitCompletion(k, uffd, UffdEvents.RangeMsg(UffdEvent.Remove, addr, length));
            await k.MmapReadLock(mm);
            (error, ranges) = await k.Mem("madvise_dontneed_free", s => Madvise.DontneedRanges(s.Mm(mm), addr, length));
        }

        foreach (AddrRange range in ranges)
        {
            var notifier = new MmuNotifierRange(mm, range, MmuNotifierEvent.Clear);
            var gather = new List<Pfn>();
            await k.MmuNotifierInvalidateRangeStart(notifier);
            bool cleared = await ZapVmaRange(k, mm, range, gather);
            await k.MmuNotifierInvalidateRangeEnd(notifier);
            await TlbFinishMmu(k, mm, range, cleared, gather, [], []);
        }

        k.MmapReadUnlock(mm);
        return error == Errno.None ? 0 : Err(error);
    }
}

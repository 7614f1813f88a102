using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>Tearing mappings down with the mmu_gather rule: unhook the PTEs, flush every TLB, then free.</summary>
public static partial class Syscalls
{
    /// <summary>
    /// unmap_region: zap the PTEs of the VMAs in <paramref name="plan"/> (whose VMAs are already
    /// gone from the tree), free the page tables no VMA needs any more, flush the TLBs, and only then
    /// free the pages and tables. Caller holds mmap_lock for write.
    /// </summary>
    public static async ActorTask UnmapRegion(KernelContext k, MmId mm, UnmapPlan plan, MmuNotifierEvent reason)
    {
        if (plan.IsEmpty)
        {
            return;
        }

        k.MmapAssertWriteLocked(mm, "unmap_region");
        var gather = new List<Pfn>();
        var range = new MmuNotifierRange(mm, plan.Span, reason);
        await k.MmuNotifierInvalidateRangeStart(range);
        bool cleared = false;
        foreach (VmArea vma in plan.Removed)
        {
            cleared |= await ZapVmaRange(k, mm, vma.Range, gather);
        }

        await k.MmuNotifierInvalidateRangeEnd(range);
        List<Pfn> tables = await k.Mem("free_pgtables", s =>
        {
            var unhooked = new List<Pfn>();
            s.Mm(mm).Pgd.FreePgdRange(plan.Span.Start, plan.Span.End, plan.PgtablesFloor, plan.PgtablesCeiling, unhooked);
            return unhooked;
        });
        await TlbFinishMmu(k, mm, plan.Span, cleared, gather, tables, plan.Removed);
    }

    /// <summary>
    /// zap_pte_range over <paramref name="range"/>, one PTE page at a time under its lock: clear each
    /// PTE, drop the rmap of each normal page, and gather the pages to free after the flush.
    /// Returns whether any present PTE was cleared (tlb_remove_tlb_entry: the TLBs need a flush even
    /// when nothing is freed, as for the zero page). Caller holds mmap_lock.
    /// </summary>
    public static async ActorTask<bool> ZapVmaRange(KernelContext k, MmId mm, AddrRange range, List<Pfn> gather)
    {
        PtePageId[] pages = await k.Mem("zap_pmd_range", s => PtePagesOf(s.Mm(mm).Pgd, range));
        string who = k.Label("zap_pte_range");
        bool clearedAny = false;
        foreach (PtePageId table in pages)
        {
            var ptl = new PtlRef(table);
            await k.Lock(ptl, LockMode.Exclusive);
            (List<Pfn> zapped, bool cleared) = await k.Mem("zap_pte_range", s =>
            {
                var cleared = new List<ZappedPte>();
                PageTable pgd = s.Mm(mm).Pgd;
                pgd.ZapPteRange(ClampToTable(range, table, pgd), cleared);
                var freed = new List<Pfn>();
                foreach (ZappedPte z in cleared)
                {
                    if (z.OldPte.IsPresent && !z.OldPte.IsSpecial && z.OldPte.Pfn != FrameAllocator.ZeroPfn)
                    {
                        s.Frames.RemoveMapCount(z.OldPte.Pfn, s.Who(who)); // folio_remove_rmap_ptes
                        freed.Add(z.OldPte.Pfn); // __tlb_remove_page: freed after the flush
                    }
                    else if (z.OldPte.IsSwap)
                    {
                        SwapPtes.ZapSwapPte(s, z.OldPte); // free_swap_and_cache
                    }
                }

                return (freed, cleared.Exists(z => z.OldPte.IsPresent));
            });
            gather.AddRange(zapped);
            clearedAny |= cleared;
            k.Unlock(ptl, LockMode.Exclusive);
        }

        return clearedAny;
    }

    /// <summary>
    /// Bug variant: tlb_finish_mmu frees the gathered pages and tables before the TLB flush, so another
    /// CPU's stale translation can reach a freed frame (the mmu_gather rule broken).
    /// </summary>
    public const string FreeBeforeShootdownVariant = "free-before-shootdown";

    /// <summary>
    /// tlb_finish_mmu: flush the TLBs of every CPU that may cache the range (when a present PTE was
    /// cleared or a table unhooked), then drop the gathered pages' references (freeing them), free
    /// the unhooked tables, and release shmem inodes no mapping uses any more.
    /// </summary>
    public static async ActorTask TlbFinishMmu(KernelContext k, MmId mm, AddrRange range, bool ptesCleared, List<Pfn> pages, List<Pfn> tables, IReadOnlyList<VmArea> removed)
    {
        ArgumentNullException.ThrowIfNull(pages);
        ArgumentNullException.ThrowIfNull(tables);
        Bug.On(pages.Count > 0 && !ptesCleared, "tlb_finish_mmu: pages gathered but no PTE cleared");
        bool freeFirst = k.Config.HasVariant(FreeBeforeShootdownVariant);
        if (freeFirst)
        {
            await TlbBatchPagesFlush(k, pages, tables, removed);
        }

        if (ptesCleared || tables.Count > 0)
        {
            await k.FlushTlbMmRange(mm, range, freedTables: tables.Count > 0);
        }

        if (!freeFirst)
        {
            await TlbBatchPagesFlush(k, pages, tables, removed);
        }
    }

    /// <summary>tlb_batch_pages_flush and tlb_remove_table's free: only after every CPU flushed.</summary>
    private static async ActorTask TlbBatchPagesFlush(KernelContext k, List<Pfn> pages, List<Pfn> tables, IReadOnlyList<VmArea> removed)
    {
        string who = k.Label("tlb_finish_mmu");
        await k.Mem("tlb_batch_pages_flush", s =>
        {
            foreach (Pfn pfn in pages)
            {
                s.Frames.PutPage(pfn, s.Who(who));
            }

            foreach (Pfn table in tables)
            {
                s.ForgetPtl(new PtePageId(table));
                s.Frames.FreePage(table, s.Who(who));
            }

            ReleaseUnusedShmem(s, removed, who);
            return true;
        });
    }

    /// <summary>The PTE pages that cover <paramref name="range"/>, lowest first.</summary>
    internal static PtePageId[] PtePagesOf(PageTable pgd, AddrRange range)
    {
        var pages = new List<PtePageId>();
        ulong pmdSize = 1UL << PageGeometry.PmdShift;
        for (ulong addr = range.Start.Value; addr < range.End.Value; addr = (addr & ~(pmdSize - 1)) + pmdSize)
        {
            if (pgd.PteTableOf(new VirtAddr(addr)) is PtePageId id)
            {
                pages.Add(id);
            }
        }

        return pages.ToArray();
    }

    /// <summary>The part of <paramref name="range"/> that <paramref name="table"/> covers.</summary>
    internal static AddrRange ClampToTable(AddrRange range, PtePageId table, PageTable pgd)
    {
        ulong pmdSize = 1UL << PageGeometry.PmdShift;
        for (ulong addr = range.Start.Value; addr < range.End.Value; addr = (addr & ~(pmdSize - 1)) + pmdSize)
        {
            if (pgd.PteTableOf(new VirtAddr(addr)) == table)
            {
                ulong end = Math.Min((addr & ~(pmdSize - 1)) + pmdSize, range.End.Value);
                return new AddrRange(new VirtAddr(addr), new VirtAddr(end));
            }
        }

        throw new KernelBugException($"{table} does not cover {range}");
    }

    /// <summary>The last iput of a shmem inode: drop its pages when no VMA of a live mm maps it.</summary>
    private static void ReleaseUnusedShmem(KernelState s, IReadOnlyList<VmArea> removed, string who)
    {
        foreach (ulong ino in removed.Where(v => v.VmFile is { IsShmem: true }).Select(v => v.VmFile!.Ino).Distinct())
        {
            bool used = s.Mms.Any(m => !m.IsDead && m.Vmas.All.Any(v => v.VmFile?.Ino == ino));
            if (!used)
            {
                s.PageCache.Truncate(s.Frames, ino, s.Who(who));
            }
        }
    }
}

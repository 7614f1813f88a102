using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>do_swap_page: a fault on a swap PTE.</summary>
public static partial class Fault
{
    /// <summary>
    /// do_swap_page: a major fault. A new anonymous frame is allocated, then under the PTE lock, if the
    /// swap PTE is unchanged, the slot is read into it, the slot's count dropped (swap_free: the slot is
    /// freed when no other PTE refers to it), and the page mapped: writable and dirty for a write fault
    /// on a writable VMA, write-protected otherwise (the next write reuses the page in do_wp_page), and
    /// soft-dirty when the swap entry was (_PAGE_SWP_SOFT_DIRTY). Losing the race to another CPU that
    /// swapped the page in first frees the new frame: the access retries.
    /// We enter with mmap_lock held for read and no PTE lock; return the same way.
    /// </summary>
    /// <remarks>
    /// mm/memory.c do_swap_page. Simplified: no swap cache, no readahead, so every swap-in reads the
    /// slot into a private copy (two processes sharing a slot after fork each get their own page, which
    /// is what copy-on-write would give them on their first write anyway).
    /// </remarks>
    public static async ActorTask<VmFault> DoSwapPage(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, Pte orig, FaultFlags flags)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(vma);
        Bug.On(!orig.IsSwap, "do_swap_page: not a swap PTE");
        MmId mm = k.Mm;
        k.MmapAssertLocked(mm, "do_swap_page");
        bool write = (flags & FaultFlags.Write) != 0;
        string who = k.Label("do_swap_page");
        Pfn? allocated = await k.Mem("swapin alloc", s => s.Frames.AllocPage(FrameKind.Anon, s.Who(who)));
        if (allocated is not Pfn pfn)
        {
            return VmFault.Oom;
        }

        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        bool mapped = await k.Mem("do_swap_page set_pte_at", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            if (!Pte.PteSame(pgd.GetPte(page), orig))
            {
                s.Frames.PutPage(pfn, s.Who(who)); // another CPU swapped it in (or zapped it) first
                return false;
            }

            SwpEntry entry = orig.PteToSwpEntry();
            SwapInfo swap = SwapInfo.Of(s);
            var contents = new byte[PageGeometry.PageSize];
            swap.SwapReadPage(entry, contents);
            s.Frames.WriteBytes(pfn, 0, contents, s.Who(who));
            swap.SwapFree(entry);
            Pte pte = Pte.MkPte(pfn, vma.PageProt).PteMkYoung();
            pte = orig.IsSwpSoftDirty ? pte.PteMkSoftDirty() : pte;
            if (write && (vma.VmFlags & VmFlags.Write) != 0)
            {
                pte = pte.PteMkWrite().PteMkDirty();
            }

            s.Frames.AddMapCount(pfn, s.Who(who)); // folio_add_new_anon_rmap
            pgd.SetPteAt(page, pte);
            return true;
        });
        if (mapped)
        {
            await k.VmaHooks.PteMapped(k, mm, page);
        }

        k.Unlock(ptl, LockMode.Exclusive);
        return mapped ? VmFault.Major : VmFault.None;
    }
}

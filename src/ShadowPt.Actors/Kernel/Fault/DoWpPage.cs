using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>do_wp_page: a write to a present, write-protected PTE.</summary>
public static partial class Fault
{
    /// <summary>
    /// do_wp_page: the PTE is present but not writable. A shared mapping becomes writable in place;
    /// an anonymous page nobody else maps is reused (wp_page_reuse); anything else is copied
    /// (wp_page_copy: the zero page, a page shared with a fork, a page-cache page of a private file).
    /// We enter with mmap_lock held for read and the PTE lock held; we return with the PTE lock released.
    /// </summary>
    public static async ActorTask<VmFault> DoWpPage(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, Pte orig)
    {
        MmId mm = k.Mm;
        var ptl = new PtlRef(table);
        k.AssertHeld(ptl, LockMode.Exclusive, "do_wp_page");
        bool shared = (vma.VmFlags & VmFlags.Shared) != 0;
        string who = k.Label("do_wp_page");
        (bool reused, Pfn? old) = await k.Mem("do_wp_page", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            Pfn pfn = orig.Pfn;
            bool normal = !orig.IsSpecial && pfn != FrameAllocator.ZeroPfn;
            bool exclusiveAnon = normal && s.Frames.Kind(pfn) == FrameKind.Anon
                && s.Frames.PageRefCount(pfn) == 1 && s.Frames.PageMapCount(pfn) == 1;
            if (shared || exclusiveAnon)
            {
                // wp_page_shared / wp_page_reuse: writable in place.
                pgd.SetPteAt(page, MaybeMkwrite(orig.PteMkYoung().PteMkDirty(), vma));
                return (true, (Pfn?)null);
            }

            if (normal)
            {
                s.Frames.GetPage(pfn, s.Who(who)); // folio_get: keep the old page while we copy it
            }

            return (false, normal ? pfn : (Pfn?)null);
        });
        k.Unlock(ptl, LockMode.Exclusive);
        return reused ? VmFault.None : await WpPageCopy(k, vma, page, table, orig, old);
    }

    /// <summary>
    /// wp_page_copy: copy the old page (or zero-fill for the zero page) into a new anonymous page,
    /// then under the PTE lock, if the PTE is unchanged, clear it and flush every TLB
    /// (ptep_clear_flush), install the copy, and drop the old page.
    /// We enter with mmap_lock held for read and no PTE lock.
    /// </summary>
    private static async ActorTask<VmFault> WpPageCopy(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, Pte orig, Pfn? old)
    {
        MmId mm = k.Mm;
        string who = k.Label("wp_page_copy");
        await AnonVmaPrepare(k, vma);
        Pfn? copy = await k.Mem("wp_page_copy alloc", s =>
        {
            Pfn? pfn = s.Frames.AllocPage(FrameKind.Anon, s.Who(who));
            if (pfn is Pfn fresh && old is Pfn source)
            {
                s.Frames.CopyPage(fresh, source, s.Who(who)); // __wp_page_copy_user
            }

            return pfn;
        });
        if (copy is not Pfn newPfn)
        {
            await PutOldPage(k, old, who);
            return VmFault.Oom;
        }

        var range = new MmuNotifierRange(mm, new AddrRange(page, page + PageGeometry.PageSize), MmuNotifierEvent.Clear);
        await k.MmuNotifierInvalidateRangeStart(range);
        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        bool same = await k.Mem("ptep_clear_flush", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            if (!Pte.PteSame(pgd.GetPte(page), orig))
            {
                return false;
            }

            pgd.PtepGetAndClear(page);
            return true;
        });
        if (same)
        {
            await k.FlushTlbMmRange(mm, range.Range, freedTables: false);
            await k.Mem("wp_page_copy set_pte_at", s =>
            {
                s.Frames.AddMapCount(newPfn, s.Who(who));
                s.Mm(mm).Pgd.SetPteAt(page, MaybeMkwrite(Pte.MkPte(newPfn, vma.PageProt).PteMkDirty(), vma));
                if (old is Pfn oldPfn)
                {
                    s.Frames.RemoveMapCount(oldPfn, s.Who(who)); // folio_remove_rmap_pte
                    s.Frames.PutPage(oldPfn, s.Who(who)); // the mapping's reference
                }

                return true;
            });
            await k.VmaHooks.PteMapped(k, mm, page);
        }
        else
        {
            await k.Mem("wp_page_copy raced", s => s.Frames.PutPage(newPfn, s.Who(who)));
        }

        k.Unlock(ptl, LockMode.Exclusive);
        await k.MmuNotifierInvalidateRangeEnd(range);
        await PutOldPage(k, old, who);
        return VmFault.None;
    }

    /// <summary>
    /// maybe_mkwrite: writable only if the VMA is. A user write fault always is (access_error refused
    /// the others); a forced write through get_user_pages (FOLL_FORCE) breaks COW in a read-only VMA
    /// and leaves the copy dirty but read-only.
    /// </summary>
    private static Pte MaybeMkwrite(Pte pte, VmArea vma) => (vma.VmFlags & VmFlags.Write) != 0 ? pte.PteMkWrite() : pte;

    /// <summary>folio_put of the reference do_wp_page took on the old page.</summary>
    private static async ActorTask PutOldPage(KernelContext k, Pfn? old, string who)
    {
        if (old is Pfn pfn)
        {
            await k.Mem("folio_put", s => s.Frames.PutPage(pfn, s.Who(who)));
        }
    }
}

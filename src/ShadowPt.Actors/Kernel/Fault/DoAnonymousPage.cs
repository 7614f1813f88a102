using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>do_anonymous_page.</summary>
public static partial class Fault
{
    /// <summary>
    /// do_anonymous_page: first touch of a private anonymous page. A read maps the shared zero page
    /// read-only; a write allocates a zeroed page and maps it writable and dirty.
    /// We enter with mmap_lock held for read, no PTE lock; return the same way.
    /// </summary>
    public static async ActorTask<VmFault> DoAnonymousPage(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, FaultFlags flags)
    {
        MmId mm = k.Mm;
        if ((vma.VmFlags & VmFlags.Shared) != 0)
        {
            return VmFault.Sigbus;
        }

        var ptl = new PtlRef(table);
        if ((flags & FaultFlags.Write) == 0)
        {
            await k.Lock(ptl, LockMode.Exclusive);
            bool mapped = await k.Mem("do_anonymous_page (zero page)", s =>
            {
                PageTable pgd = s.Mm(mm).Pgd;
                if (!pgd.GetPte(page).IsNone)
                {
                    return false; // another CPU got here first
                }

                pgd.SetPteAt(page, Pte.MkPte(FrameAllocator.ZeroPfn, vma.PageProt).PteMkSpecial());
                return true;
            });
            if (mapped)
            {
                await k.VmaHooks.PteMapped(k, mm, page);
            }

            k.Unlock(ptl, LockMode.Exclusive);
            return VmFault.None;
        }

        await AnonVmaPrepare(k, vma);
        string who = k.Label("do_anonymous_page");
        Pfn? allocated = await k.Mem("alloc_anon_folio", s => s.Frames.AllocPage(FrameKind.Anon, s.Who(who)));
        if (allocated is not Pfn pfn)
        {
            return VmFault.Oom;
        }

        await k.Lock(ptl, LockMode.Exclusive);
        bool installed = await k.Mem("do_anonymous_page set_pte_at", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            if (!pgd.GetPte(page).IsNone)
            {
                s.Frames.PutPage(pfn, s.Who(who)); // raced: release the page we allocated
                return false;
            }

            Pte entry = Pte.MkPte(pfn, vma.PageProt);
            if ((vma.VmFlags & VmFlags.Write) != 0)
            {
                entry = entry.PteMkWrite().PteMkDirty();
            }

            s.Frames.AddMapCount(pfn, s.Who(who)); // folio_add_new_anon_rmap
            pgd.SetPteAt(page, entry);
            return true;
        });
        if (installed)
        {
            await k.VmaHooks.PteMapped(k, mm, page);
        }

        k.Unlock(ptl, LockMode.Exclusive);
        return VmFault.None;
    }
}

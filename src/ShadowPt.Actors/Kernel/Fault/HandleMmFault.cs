using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>handle_mm_fault and handle_pte_fault.</summary>
public static partial class Fault
{
    /// <summary>
    /// handle_mm_fault: resolve a fault at <paramref name="address"/> in <paramref name="vma"/>.
    /// We enter with non-exclusive mmap_lock and return with it still held, unless the result has
    /// <see cref="VmFault.Retry"/>, in which case it was released. No PTE lock is held on return.
    /// </summary>
    public static async ActorTask<VmFault> HandleMmFault(KernelContext k, VmArea vma, VirtAddr address, FaultFlags flags)
    {
        MmId mm = k.Mm;
        k.MmapAssertLocked(mm, "handle_mm_fault");
        VirtAddr page = address.PageAlignDown();
        string who = k.Label("__handle_mm_fault");

        // __handle_mm_fault: allocate missing table levels, then read the PTE without its lock.
        (PtePageId? table, Pte orig) = await k.Mem("__handle_mm_fault", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            PtePageId? id = pgd.PteAlloc(page, s.Who(who));
            return id is null ? ((PtePageId?)null, default(Pte)) : (id, pgd.GetPte(page));
        });
        if (table is not PtePageId pte)
        {
            return VmFault.Oom;
        }

        VmFault ret;
        if (orig.IsNone && await Userfaultfd.MissingOrMinor(k, vma, page, flags) is VmFault userfault)
        {
            return userfault; // handle_userfault (VM_FAULT_RETRY: mmap_lock released)
        }

        if (orig.IsNone)
        {
            // The fault policy of Kernel/FaultPolicy, when one is configured for current; else do_pte_missing.
            ret = await FaultPolicyFault(k, vma, page, pte, flags) is VmFault custom ? custom
                : vma.IsAnonymous ? await DoAnonymousPage(k, vma, page, pte, flags) : await DoFault(k, vma, page, pte, flags);
        }
        else if (!orig.IsPresent)
        {
            ret = orig.IsSwap ? await DoSwapPage(k, vma, page, pte, orig, flags) : VmFault.Sigbus; // do_swap_page (Swap/DoSwapPage.cs)
        }
        else if (orig.IsProtNone && vma.IsAccessible)
        {
            ret = await DoNumaPage(k, vma, page, pte, orig); // a NUMA hinting fault (Kernel/Numa)
        }
        else
        {
            ret = await HandlePresentPte(k, vma, page, pte, orig, flags);
        }

        if ((ret & (VmFault.Error | VmFault.Retry)) == 0)
        {
            bool major = (ret & VmFault.Major) != 0 || (flags & FaultFlags.Tried) != 0; // mm_account_fault
            await k.Mem("mm_account_fault", s =>
            {
                if (major)
                {
                    s.Mm(mm).CountMajorFault();
                }
                else
                {
                    s.Mm(mm).CountMinorFault();
                }

                return true;
            });
        }

        return ret;
    }

    /// <summary>
    /// The rest of handle_pte_fault for a present PTE: under the PTE lock, make sure it did not change,
    /// then either break COW (do_wp_page) or just mark it young and dirty.
    /// </summary>
    private static async ActorTask<VmFault> HandlePresentPte(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, Pte orig, FaultFlags flags)
    {
        MmId mm = k.Mm;
        bool write = (flags & FaultFlags.Write) != 0;
        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        // Under the PTE lock: pte_same, then ptep_set_access_flags for the simple cases.
        (bool same, bool needsWp) = await k.Mem("handle_pte_fault", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            Pte now = pgd.GetPte(page);
            if (!Pte.PteSame(now, orig))
            {
                return (false, false);
            }

            if (write && !now.IsWrite)
            {
                return (true, true);
            }

            Pte entry = (write ? now.PteMkDirty() : now).PteMkYoung();
            if (entry != now)
            {
                pgd.SetPteAt(page, entry);
            }

            return (true, false);
        });
        if (same && needsWp && Userfaultfd.IsPteWp(vma, orig))
        {
            k.Unlock(ptl, LockMode.Exclusive);
            return await Userfaultfd.HandleUserfault(k, vma, page, flags, Userfaultfd.Reason.Wp); // do_wp_page: userfaultfd_pte_wp
        }

        if (same && needsWp)
        {
            return await DoWpPage(k, vma, page, table, orig); // releases the PTE lock
        }

        k.Unlock(ptl, LockMode.Exclusive);
        return VmFault.None;
    }

    /// <summary>anon_vma_prepare: give a private anonymous VMA its anon_vma before its first anonymous page.</summary>
    private static async ActorTask AnonVmaPrepare(KernelContext k, VmArea vma)
    {
        if (vma.AnonVma != 0)
        {
            return;
        }

        MmId mm = k.Mm;
        await k.Mem("anon_vma_prepare", s =>
        {
            MmStruct m = s.Mm(mm);
            int index = m.Vmas.FindVmaIndex(vma.VmStart);
            if (index < m.Vmas.Count && m.Vmas[index].VmStart == vma.VmStart && m.Vmas[index].AnonVma == 0)
            {
                m.Vmas.ReplaceAt(index, m.Vmas[index].WithAnonVma(s.NextAnonVmaId++));
            }

            return true;
        });
    }
}

using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>fork: dup_mm → dup_mmap → copy_page_range.</summary>
public static partial class Syscalls
{
    /// <summary>
    /// fork: a new task with a copy of the address space. Private writable pages become
    /// copy-on-write in both parent and child (write-protected, shared, counted twice); VMAs without
    /// an anon_vma are not copied at all (the child faults them in on demand, vma_needs_copy).
    /// The parent's TLBs are flushed because its PTEs lost write permission. Returns the child's pid,
    /// or -ENOMEM when the child's page tables do not fit (the half-built child is torn down and never runs).
    /// </summary>
    private static async ActorTask<long> SysFork(KernelContext k)
    {
        MmId oldMm = k.Mm;
        int parentPid = k.CurrentPid;
        string who = k.Label("dup_mm");
        (int childPid, MmId? newMmId) = await k.Mem("copy_process", s =>
        {
            TaskStruct parent = s.Task(parentPid);
            MmStruct? mm = s.MmAlloc(who);
            if (mm is null)
            {
                return (0, (MmId?)null);
            }

            TaskStruct child = s.NewTask(parent.Comm, parent.Pid, parent.Superuser);
            child.Mm = mm;
            child.HasSigsegvHandler = parent.HasSigsegvHandler;
            s.FindExtension<UffdState>()?.DupFds(parent.Pid, child.Pid); // dup_fd
            return (child.Pid, mm.Id);
        });
        if (newMmId is not MmId newMm)
        {
            return Err(Errno.ENOMEM);
        }

        await k.MmapWriteLock(oldMm);
        await k.Lock(new MmapLockRef(newMm), LockMode.Exclusive, subclass: 1); // mmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING)
        (VmArea[] toCopy, (int Parent, int Child)? forkEvent) = await k.Mem("dup_mmap", s => (DupMmapVmas(s, s.Mm(oldMm), s.Mm(newMm)), UffdEvents.TakePendingFork(s, newMm)));
        bool protectedAny = false;
        bool oom = false;
        foreach (VmArea vma in toCopy)
        {
            (bool wrprotected, bool failed) = await CopyPageRange(k, oldMm, newMm, vma);
            protectedAny |= wrprotected;
            if (failed)
            {
                oom = true;
                break;
            }
        }

        if (protectedAny)
        {
            await k.FlushTlbMm(oldMm, freedTables: false);
        }

        k.Unlock(new MmapLockRef(newMm), LockMode.Exclusive);
        k.MmapWriteUnlock(oldMm);
        if (oom)
        {
            // dup_mmap failed: copy_process unwinds, and mmput of the half-built mm runs exit_mmap.
            await k.Mem("copy_process (unwind)", s =>
            {
                TaskStruct child = s.Task(childPid);
                child.Mm = null;
                child.Exited = true;
                return --s.Mm(newMm).MmUsers;
            });
            await ExitMmap(k, newMm);
            return Err(Errno.ENOMEM);
        }

        if (forkEvent is (int parentCtx, int childCtx))
        {
            await UffdEvents.DupUserfaultfdComplete(k, parentCtx, childCtx); // the parent waits until the monitor reads FORK
        }

        return childPid;
    }

    /// <summary>VM_INIT_DEF_MASK: the def_flags a child's mm keeps from its parent's (kernel/fork.c mm_init).</summary>
    private const VmFlags VmInitDefMask = VmFlags.NoHugePage;

    /// <summary>Copies the VMA tree and the mm's markers; returns the VMAs whose PTEs must be copied (vma_needs_copy).</summary>
    private static VmArea[] DupMmapVmas(KernelState s, MmStruct oldMm, MmStruct newMm)
    {
        newMm.SetBrkBase(oldMm.StartBrk);
        newMm.Brk = oldMm.Brk;
        newMm.StartStack = oldMm.StartStack;
        newMm.DefFlags = oldMm.DefFlags & VmInitDefMask; // mm_init: mlockall(MCL_FUTURE) is not inherited
        var needsCopy = new List<VmArea>();
        foreach (VmArea vma in oldMm.Vmas.All)
        {
            if ((vma.VmFlags & VmFlags.DontCopy) != 0)
            {
                continue;
            }

            long anonVma = vma.AnonVma != 0 ? s.NextAnonVmaId++ : 0; // anon_vma_fork
            VmFlags flags = vma.VmFlags & ~(VmFlags.Locked | VmFlags.LockOnFault); // locks are not inherited
            flags = UffdEvents.DupUserfaultfd(s, oldMm.Id, newMm.Id, flags);
            newMm.Vmas.Insert(new VmArea(vma.VmStart, vma.VmEnd, flags, vma.VmPgoff, vma.VmFile, anonVma));
            if (vma.AnonVma != 0 || (vma.VmFlags & (VmFlags.PfnMap | VmFlags.MixedMap | VmFlags.UffdWp)) != 0)
            {
                needsCopy.Add(vma);
            }
        }

        return needsCopy.ToArray();
    }

    /// <summary>
    /// copy_page_range for one VMA: under the source PTE lock, each present PTE is duplicated into the
    /// child; for a COW mapping a writable PTE is write-protected in both. Returns whether any parent
    /// PTE lost write permission (so its TLBs need a flush), and whether a child page table could not
    /// be allocated (the copy stopped there: -ENOMEM).
    /// </summary>
    private static async ActorTask<(bool Wrprotected, bool Oom)> CopyPageRange(KernelContext k, MmId oldMm, MmId newMm, VmArea vma)
    {
        bool isCow = (vma.VmFlags & (VmFlags.Shared | VmFlags.MayWrite)) == VmFlags.MayWrite;
        var range = new MmuNotifierRange(oldMm, vma.Range, MmuNotifierEvent.ProtectionPage);
        if (isCow)
        {
            await k.MmuNotifierInvalidateRangeStart(range);
        }

        string who = k.Label("copy_pte_range");
        PtePageId[] tables = await k.Mem("copy_pmd_range", s => PtePagesOf(s.Mm(oldMm).Pgd, vma.Range));
        bool protectedAny = false;
        bool oom = false;
        foreach (PtePageId table in tables)
        {
            var ptl = new PtlRef(table);
            await k.Lock(ptl, LockMode.Exclusive);
            (bool wrprotected, bool failed) = await k.Mem("copy_pte_range", s => CopyPteRange(s, s.Mm(oldMm), s.Mm(newMm), vma, table, isCow, who));
            k.Unlock(ptl, LockMode.Exclusive);
            protectedAny |= wrprotected;
            if (failed)
            {
                oom = true;
                break;
            }
        }

        if (isCow)
        {
            await k.MmuNotifierInvalidateRangeEnd(range);
        }

        return (protectedAny, oom);
    }

    /// <summary>
    /// copy_pte_range for the part of <paramref name="vma"/> that <paramref name="table"/> covers: the
    /// child's PTE page first (pte_alloc_map_lock; none left means -ENOMEM before anything is copied),
    /// then every present PTE. Caller holds the source PTE lock.
    /// </summary>
    private static (bool Wrprotected, bool Oom) CopyPteRange(KernelState s, MmStruct src, MmStruct dst, VmArea vma, PtePageId table, bool isCow, string who)
    {
        bool protectedAny = false;
        AddrRange part = ClampToTable(vma.Range, table, src.Pgd);
        if (dst.Pgd.PteAlloc(part.Start, s.Who(who)) is null)
        {
            return (false, true);
        }

        for (VirtAddr addr = part.Start; addr < part.End; addr += PageGeometry.PageSize)
        {
            Pte pte = src.Pgd.GetPte(addr);
            if (!pte.IsPresent)
            {
                if (pte.IsSwap)
                {
                    SwapPtes.CopySwapPte(s, src, dst, addr, pte); // copy_nonpresent_pte
                }

                continue;
            }

            bool normal = !pte.IsSpecial && pte.Pfn != FrameAllocator.ZeroPfn;
            if (normal)
            {
                s.Frames.GetPage(pte.Pfn, s.Who(who)); // folio_try_dup_anon_rmap / folio_dup_file_rmap
                s.Frames.AddMapCount(pte.Pfn, s.Who(who));
            }

            if (isCow && pte.IsWrite)
            {
                pte = pte.PteWrProtect(); // ptep_set_wrprotect in the parent, and the child gets the same
                src.Pgd.SetPteAt(addr, pte);
                protectedAny = true;
            }

            dst.Pgd.SetPteAt(addr, pte);
        }

        return (protectedAny, false);
    }
}

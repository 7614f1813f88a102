using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>foll_flags: how get_user_pages may follow a PTE.</summary>
[Flags]
public enum FollFlags
{
    None = 0,

    /// <summary>FOLL_WRITE: the caller writes to the page.</summary>
    Write = 0x01,

    /// <summary>FOLL_GET: take a reference on the page.</summary>
    Get = 0x04,

    /// <summary>FOLL_FORCE: ignore the VMA's protection (ptrace, /proc/PID/mem).</summary>
    Force = 0x10,

    /// <summary>FOLL_COW: the fault path broke COW for this lookup; a dirty read-only PTE may be followed for write.</summary>
    Cow = 0x4000,
}

/// <summary>
/// get_user_pages for a forced write into another task's memory, as a write to /proc/PID/mem or
/// ptrace(PTRACE_POKEDATA) does it (access_remote_vm with FOLL_FORCE | FOLL_WRITE): look the page up,
/// fault it in for write if the lookup fails, look again; then write through the kernel's mapping of
/// the page (kmap), not through the target's page table.
/// </summary>
/// <remarks>
/// mm/gup.c (__get_user_pages, follow_page_pte, faultin_page, can_follow_write_pte) and
/// fs/proc/base.c (mem_rw). The fixed model is Linux 4.9's (commit 19be0eaffa3a, "mm: remove gup_flags
/// FOLL_WRITE games from __get_user_pages()"): after a write fault that broke COW in a VMA without
/// VM_WRITE, faultin_page sets FOLL_COW, and follow_page_pte follows a read-only PTE for write only
/// with FOLL_FORCE and FOLL_COW and when the PTE is dirty (it maps the COW copy). The variant
/// <c>dirty-cow</c> is Linux before it (CVE-2016-5195): faultin_page clears FOLL_WRITE instead, so if
/// MADV_DONTNEED zaps the copy before the next lookup, that lookup is a read: a read fault maps the
/// page-cache page, and the write lands in the file's page cache.
/// </remarks>
public static class GetUserPages
{
    /// <summary>The bug zoo's name for the pre-4.9 retry that drops FOLL_WRITE.</summary>
    public const string DirtyCowVariant = "dirty-cow";

    /// <summary>Most faults one page's lookup may take before it gives up (-EFAULT).</summary>
    public const int FaultsMax = 16;

    /// <summary>
    /// mem_rw for one byte: writes <paramref name="value"/> at <paramref name="address"/> of task
    /// <paramref name="pid"/>'s memory with FOLL_FORCE | FOLL_WRITE. Returns 1 (bytes written), or -errno.
    /// Enters and returns with no lock held.
    /// </summary>
    public static async ActorTask<long> AccessRemoteVmWrite(KernelContext k, int pid, VirtAddr address, byte value)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.AssertNoLocksHeld("access_remote_vm");
        MmId? found = await k.Mem("get_task_mm", s => s.FindTask(pid) is { Exited: false, Mm: { IsDead: false } m } ? m.Id : (MmId?)null);
        if (found is not MmId mm)
        {
            return Syscalls.Err(Errno.ESRCH);
        }

        // The model's fault path works on current->mm (Linux passes vma->vm_mm): lend it the target's
        // mm for the walk, as the CPU runs nothing else until this path ends.
        MmId? own = k.CurrentMm;
        k.CurrentMm = mm;
        try
        {
            await k.MmapReadLock(mm);
            Pfn? page = await GetPage(k, mm, address);
            k.MmapReadUnlock(mm);
            if (page is not Pfn pfn)
            {
                return Syscalls.Err(Errno.EFAULT);
            }

            // kmap + copy_to_user's counterpart, then put_page: the write goes to whatever page GUP returned.
            string who = k.Label("access_remote_vm");
            int offset = (int)address.OffsetInPage;
            await k.Mem("access_remote_vm copy", s =>
            {
                s.Frames.WriteBytes(pfn, offset, [value], s.Who(who));
                s.Frames.PutPage(pfn, s.Who(who));
                return true;
            });
            return 1;
        }
        finally
        {
            k.CurrentMm = own;
        }
    }

    /// <summary>
    /// __get_user_pages for one page with FOLL_FORCE | FOLL_WRITE | FOLL_GET: the page with a reference
    /// taken, or null for -EFAULT. Caller holds mmap_lock of <paramref name="mm"/> for read.
    /// </summary>
    private static async ActorTask<Pfn?> GetPage(KernelContext k, MmId mm, VirtAddr address)
    {
        k.MmapAssertLocked(mm, "__get_user_pages");
        VmArea? vma = await k.Mem("find_extend_vma", s => s.Mm(mm).Vmas.FindVma(address));
        if (vma is null || vma.VmStart > address || !CheckVmaFlags(vma))
        {
            return null;
        }

        bool dirtyCow = k.Config.HasVariant(DirtyCowVariant);
        FollFlags foll = FollFlags.Write | FollFlags.Force | FollFlags.Get;
        string who = k.Label("follow_page_pte");
        for (int faults = 0; faults <= FaultsMax; faults++)
        {
            FollFlags flags = foll;
            Pfn? page = await k.Mem("follow_page_pte", s => FollowPagePte(s, mm, address, flags, s.Who(who)));
            if (page is not null)
            {
                return page;
            }

            // faultin_page: a write fault only while FOLL_WRITE is still set.
            bool write = (foll & FollFlags.Write) != 0;
            VmFault fault = await Fault.HandleMmFault(k, vma, address, FaultFlags.Remote | (write ? FaultFlags.Write : FaultFlags.None));
            if ((fault & VmFault.Error) != 0)
            {
                return null;
            }

            // VM_FAULT_WRITE (the model reports no such bit: a write fault that succeeded in a VMA
            // without VM_WRITE has broken COW, which is what the bit meant here).
            if (write && (vma.VmFlags & VmFlags.Write) == 0)
            {
                foll = dirtyCow ? foll & ~FollFlags.Write : foll | FollFlags.Cow;
            }
        }

        return null;
    }

    /// <summary>check_vma_flags for a forced write: only a private mapping that may be written (a COW mapping).</summary>
    private static bool CheckVmaFlags(VmArea vma) =>
        (vma.VmFlags & VmFlags.Write) != 0
        || ((vma.VmFlags & VmFlags.Shared) == 0 && (vma.VmFlags & VmFlags.MayWrite) != 0);

    /// <summary>
    /// follow_page_pte under the PTE lock (one memory operation): the page mapped at <paramref name="address"/>
    /// with a reference taken, or null when the lookup must fault first.
    /// </summary>
    private static Pfn? FollowPagePte(KernelState s, MmId mm, VirtAddr address, FollFlags flags, Provenance who)
    {
        Pte pte = s.Mm(mm).Pgd.GetPte(address.PageAlignDown());
        if (!pte.IsPresent)
        {
            return null;
        }

        if ((flags & FollFlags.Write) != 0 && !CanFollowWritePte(pte, flags))
        {
            return null;
        }

        if (pte.IsSpecial || pte.Pfn == FrameAllocator.ZeroPfn)
        {
            return null; // vm_normal_page: no struct page to write through
        }

        s.Frames.GetPage(pte.Pfn, who);
        return pte.Pfn;
    }

    /// <summary>
    /// can_follow_write_pte (Linux 4.9): FOLL_FORCE can write to even unwritable PTEs, but only after
    /// we've gone through a COW cycle and they are dirty.
    /// </summary>
    public static bool CanFollowWritePte(Pte pte, FollFlags flags) =>
        pte.IsWrite || ((flags & FollFlags.Force) != 0 && (flags & FollFlags.Cow) != 0 && pte.IsDirty);
}

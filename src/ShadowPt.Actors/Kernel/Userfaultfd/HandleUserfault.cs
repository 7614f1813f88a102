using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>The fault path's side of userfaultfd: which faults go to the monitor, and handle_userfault.</summary>
/// <remarks>
/// fs/userfaultfd.c handle_userfault and userfaultfd_must_wait; the callers in mm/memory.c
/// (do_anonymous_page: userfaultfd_missing, do_wp_page: userfaultfd_pte_wp) and mm/shmem.c
/// (shmem_get_folio_gfp: userfaultfd_minor for a cached page, userfaultfd_missing for a hole).
/// </remarks>
public static class Userfaultfd
{
    /// <summary>VM_UFFD_MISSING / VM_UFFD_WP / VM_UFFD_MINOR as the reason of a fault.</summary>
    public enum Reason
    {
        Missing,
        Wp,
        Minor,
    }

    /// <summary>
    /// A fault on a PTE that is none in a VMA registered MISSING or MINOR: anonymous memory goes to the
    /// monitor when MISSING; shmem goes when its page is cached and the VMA is MINOR, or not cached and
    /// the VMA is MISSING. Null when the normal path handles it. Enters with mmap_lock held for read;
    /// a non-null result is handle_userfault's (mmap_lock released when it has <see cref="VmFault.Retry"/>).
    /// </summary>
    public static async ActorTask<VmFault?> MissingOrMinor(KernelContext k, VmArea vma, VirtAddr page, FaultFlags flags)
    {
        if ((vma.VmFlags & (VmFlags.UffdMissing | UffdApi.VmUffdMinor)) == 0)
        {
            return null;
        }

        if (vma.IsAnonymous)
        {
            return (vma.VmFlags & VmFlags.UffdMissing) != 0 ? await HandleUserfault(k, vma, page, flags, Reason.Missing) : null;
        }

        if (vma.VmFile is not { IsShmem: true } file)
        {
            return null;
        }

        ulong pgoff = vma.LinearPageIndex(page);
        bool cached = await k.Mem("shmem_get_folio_gfp (lookup)", s => s.PageCache.Lookup(file.Ino, pgoff) is not null);
        if (cached && (vma.VmFlags & UffdApi.VmUffdMinor) != 0)
        {
            return await HandleUserfault(k, vma, page, flags, Reason.Minor);
        }

        if (!cached && (vma.VmFlags & VmFlags.UffdMissing) != 0)
        {
            return await HandleUserfault(k, vma, page, flags, Reason.Missing);
        }

        return null;
    }

    /// <summary>userfaultfd_pte_wp: a write to a present PTE marked uffd-wp in a VMA registered WP.</summary>
    public static bool IsPteWp(VmArea vma, Pte pte) => (vma.VmFlags & VmFlags.UffdWp) != 0 && pte.IsUffdWp;

    /// <summary>
    /// handle_userfault: queue a UFFD_EVENT_PAGEFAULT message for the context's reader, release
    /// mmap_lock, sleep until UFFDIO_COPY / ZEROPAGE / CONTINUE / WAKE / WRITEPROTECT wakes the task, and
    /// return VM_FAULT_RETRY so the fault is retried. A fault that cannot retry (no FAULT_FLAG_ALLOW_RETRY,
    /// as GUP's populate) is VM_FAULT_SIGBUS; a released context answers VM_FAULT_NOPAGE (the access is
    /// retried, and the registration is gone by then).
    /// We enter with mmap_lock held for read and no PTE lock.
    /// </summary>
    public static async ActorTask<VmFault> HandleUserfault(KernelContext k, VmArea vma, VirtAddr page, FaultFlags flags, Reason reason)
    {
        MmId mm = k.Mm;
        int pid = k.CurrentPid;
        k.MmapAssertLocked(mm, "handle_userfault");
        if ((flags & FaultFlags.AllowRetry) == 0)
        {
            return VmFault.Sigbus;
        }

        UffdPagefaultFlags msgFlags = ((flags & FaultFlags.Write) != 0 ? UffdPagefaultFlags.Write : UffdPagefaultFlags.None)
            | reason switch { Reason.Wp => UffdPagefaultFlags.Wp, Reason.Minor => UffdPagefaultFlags.Minor, _ => UffdPagefaultFlags.None };
        var msg = UffdMsg.Pagefault(page, msgFlags);
        (bool released, bool mustWait) = await k.Mem("handle_userfault", s =>
        {
            UffdState u = s.Extension<UffdState>();
            UserfaultfdCtx? ctx = u.RegisteredCtx(mm);
            if (ctx is null || ctx.Released)
            {
                return (true, false);
            }

            if (!UserfaultfdMustWait(s.Mm(mm).Pgd.GetPte(page), reason))
            {
                return (false, false);
            }

            // prepare_to_wait on fault_pending_wqh, then wake the readers (wake_up_poll on fd_wqh).
            ctx.FaultPending.Add(new UffdQueued(pid, msg));
            u.NoteBlocked(pid, ctx);
            u.FaultsBlocked++;
            UffdSyscalls.WakeReaders(s, ctx);
            ctx.AssertInvariants();
            return (false, true);
        });
        if (released)
        {
            return VmFault.None; // VM_FAULT_NOPAGE, mmap_lock still held
        }

        k.MmapReadUnlock(mm); // release_fault_lock
        if (mustWait)
        {
            CpuId cpu = k.Cpu;
            if (k.Events.HasObservers)
            {
                k.Events.Raise((cpu, pid, msg), static (o, x) => o.UserfaultBlocked(x.cpu, x.pid, x.msg));
            }

            await UffdSyscalls.Schedule(k);
            if (k.Events.HasObservers)
            {
                k.Events.Raise((cpu, pid, msg), static (o, x) => o.UserfaultWoken(x.cpu, x.pid, x.msg));
            }
        }

        return VmFault.Retry | VmFault.UserfaultRetry;
    }

    /// <summary>userfaultfd_must_wait: is the PTE still in the state that made the fault go to userspace.</summary>
    private static bool UserfaultfdMustWait(Pte pte, Reason reason) => reason switch
    {
        Reason.Wp => pte.IsPresent && pte.IsUffdWp && !pte.IsWrite,
        _ => pte.IsNone,
    };
}

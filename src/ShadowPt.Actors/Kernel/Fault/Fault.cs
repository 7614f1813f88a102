using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// The page-fault path: exc_page_fault → do_user_addr_fault → lock_mm_and_find_vma →
/// handle_mm_fault → handle_pte_fault → do_anonymous_page / do_wp_page / do_fault.
/// </summary>
/// <remarks>arch/x86/mm/fault.c and mm/memory.c (Linux 6.x).</remarks>
public static partial class Fault
{
    /// <summary>Most times one access retries its fault (VM_FAULT_RETRY, or a PTE that changed under it).</summary>
    public const int FaultRetriesMax = 16;

    /// <summary>
    /// do_user_addr_fault: a user access at <paramref name="address"/> missed or was refused by the TLB.
    /// Enters without locks; returns without locks. False means SIGSEGV.
    /// </summary>
    public static async ActorTask<VmFault> DoUserAddrFault(KernelContext k, VirtAddr address, bool write)
    {
        k.AssertNoLocksHeld("do_user_addr_fault");
        MmId mm = k.Mm;
        FaultFlags flags = FaultFlags.Default | FaultFlags.User | (write ? FaultFlags.Write : FaultFlags.None);
        k.FaultSiCode = SegvCode.Maperr; // mm_fault_error and bad_area_nosemaphore: SEGV_MAPERR
        for (int attempt = 0; attempt < FaultRetriesMax; attempt++)
        {
            VmArea? vma = await LockMmAndFindVma(k, mm, address);
            if (vma is null)
            {
                return VmFault.Sigsegv; // bad_area_nosemaphore: lock already dropped
            }

            if (AccessError(write, vma))
            {
                k.MmapReadUnlock(mm);
                k.FaultSiCode = SegvCode.Accerr;
                return VmFault.Sigsegv; // bad_area_access_error: force_sig_fault(SIGSEGV, SEGV_ACCERR, address)
            }

            VmFault fault = await HandleMmFault(k, vma, address, flags);
            if ((fault & VmFault.Retry) != 0)
            {
                flags |= (fault & VmFault.UserfaultRetry) != 0 ? FaultFlags.None : FaultFlags.Tried; // mmap_lock was released by the handler
                continue;
            }

            k.MmapReadUnlock(mm);
            k.AssertNoLocksHeld("do_user_addr_fault");
            return fault;
        }

        throw new KernelBugException($"{k.Cpu}: fault at {address} retried {FaultRetriesMax} times");
    }

    /// <summary>
    /// lock_mm_and_find_vma: returns the VMA for <paramref name="address"/> with mmap_lock held for
    /// read, expanding a grows-down stack VMA under the write lock (then downgraded) when the address
    /// is just below it; null with no lock held when there is no such VMA.
    /// </summary>
    public static async ActorTask<VmArea?> LockMmAndFindVma(KernelContext k, MmId mm, VirtAddr address)
    {
        await k.MmapReadLock(mm);
        VmArea? vma = await k.Mem("find_vma", s => s.Mm(mm).Vmas.FindVma(address));
        if (vma is not null && vma.VmStart <= address)
        {
            return vma;
        }

        if (vma is null || (vma.VmFlags & VmFlags.GrowsDown) == 0)
        {
            k.MmapReadUnlock(mm);
            return null;
        }

        // The stack must grow: upgrade to the write lock (not atomic: look again), expand, downgrade.
        k.MmapReadUnlock(mm);
        await k.MmapWriteLock(mm);
        ExpandResult grown = await k.Mem("expand_stack_locked", s => Mmap.ExpandStack(s.Mm(mm), address));
        if (grown.Error != Errno.None || grown.Vma is null)
        {
            k.MmapWriteUnlock(mm);
            return null;
        }

        if (!grown.Grown.IsEmpty)
        {
            await k.VmaHooks.OnStackExpanded(k, mm, grown.Grown);
        }

        await k.MmapWriteDowngrade(mm);
        return grown.Vma;
    }

    /// <summary>access_error: may this access touch this VMA at all.</summary>
    public static bool AccessError(bool write, VmArea vma) =>
        write ? (vma.VmFlags & VmFlags.Write) == 0 : !vma.IsAccessible;
}

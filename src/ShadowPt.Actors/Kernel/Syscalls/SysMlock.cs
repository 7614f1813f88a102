using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>mlock, munlock, mlockall, and populating memory (__mm_populate).</summary>
public static partial class Syscalls
{
    /// <summary>mlock / munlock: flag the VMAs (splitting them), then fault the locked range in.</summary>
    private static async ActorTask<long> SysMlock(KernelContext k, MlockCall call)
    {
        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        FlagChangeResult result = await k.Mem(call.Lock ? "do_mlock" : "munlock", s =>
            call.Lock ? Mlock.DoMlock(s.Mm(mm), call.Addr, call.Length) : Mlock.DoMunlock(s.Mm(mm), call.Addr, call.Length));
        k.MmapWriteUnlock(mm);
        if (result.Error == Errno.None && call.Lock)
        {
            foreach (VmaFlagChange change in result.Changes)
            {
                await MmPopulate(k, mm, change.Range);
            }
        }

        return result.Error == Errno.None ? 0 : Err(result.Error);
    }

    /// <summary>mlockall / munlockall (flags none).</summary>
    private static async ActorTask<long> SysMlockall(KernelContext k, MlockallFlags flags)
    {
        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        FlagChangeResult result = await k.Mem(flags == MlockallFlags.None ? "munlockall" : "mlockall", s => Mlock.DoMlockall(s.Mm(mm), flags));
        k.MmapWriteUnlock(mm);
        if (result.Error == Errno.None && (flags & MlockallFlags.Current) != 0)
        {
            foreach (VmaFlagChange change in result.Changes)
            {
                await MmPopulate(k, mm, change.Range);
            }
        }

        return result.Error == Errno.None ? 0 : Err(result.Error);
    }

    /// <summary>
    /// __mm_populate → populate_vma_page_range → __get_user_pages: fault in every page of
    /// <paramref name="range"/> that is not mapped as needed, writing for private writable mappings
    /// (FOLL_WRITE) so that no COW is left to happen later. Takes mmap_lock for read.
    /// </summary>
    public static async ActorTask MmPopulate(KernelContext k, MmId mm, AddrRange range)
    {
        await k.MmapReadLock(mm);
        for (VirtAddr addr = range.Start; addr < range.End; addr += PageGeometry.PageSize)
        {
            VmArea? vma = await k.Mem("find_vma (populate)", s => s.Mm(mm).Vmas.VmaLookup(addr));
            if (vma is null || !vma.IsAccessible || vma.IsPfnMap)
            {
                continue;
            }

            bool write = (vma.VmFlags & (VmFlags.Write | VmFlags.Shared)) == VmFlags.Write;
            Pte pte = await k.Mem("follow_page_pte", s => s.Mm(mm).Pgd.GetPte(addr));
            if (pte.IsPresent && (!write || pte.IsWrite))
            {
                continue;
            }

            VmFault fault = await Fault.HandleMmFault(k, vma, addr, FaultFlags.Write & (write ? FaultFlags.Write : FaultFlags.None));
            if ((fault & VmFault.Retry) != 0)
            {
                await k.MmapReadLock(mm);
            }
            else if ((fault & VmFault.Error) != 0)
            {
                break;
            }
        }

        k.MmapReadUnlock(mm);
    }
}

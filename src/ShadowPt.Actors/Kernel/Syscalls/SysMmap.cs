using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>mmap, munmap and brk.</summary>
public static partial class Syscalls
{
    /// <summary>
    /// mmap (vm_mmap_pgoff → do_mmap → mmap_region): anonymous private memory, or shmem for
    /// MAP_SHARED|MAP_ANONYMOUS. A MAP_FIXED mapping replaces what was there (unmapped first).
    /// </summary>
    private static async ActorTask<long> SysMmap(KernelContext k, MmapCall call)
    {
        if ((call.Flags & MapFlags.Anonymous) == 0)
        {
            return Err(Errno.EINVAL); // file mappings are MmapFileCall
        }

        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        MmapResult result = await k.Mem("do_mmap", s =>
        {
            MappedFile? shmem = (call.Flags & MapFlags.Shared) != 0 ? MappedFile.DevZeroShmem(s.NextShmemIno++) : null;
            return Mmap.DoMmap(s.Mm(mm), call.Addr, call.Length, call.Prot, call.Flags, shmem, 0);
        });
        return await FinishMmap(k, mm, result, call.Length);
    }

    /// <summary>mmap of a file: the VMA maps the file's pages through the page cache (faults read them in, major the first time).</summary>
    private static async ActorTask<long> SysMmapFile(KernelContext k, MmapFileCall call)
    {
        if ((call.Flags & MapFlags.Anonymous) != 0)
        {
            return Err(Errno.EINVAL);
        }

        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        MmapResult result = await k.Mem("do_mmap (file)", s =>
        {
            MappedFile? file = s.FindFile(call.Path);
            if (file is null)
            {
                return MmapResult.Failed(Errno.EBADF);
            }

            return (call.Prot & Prot.Write) != 0 && (call.Flags & MapFlags.Shared) != 0 && !file.Writable
                ? MmapResult.Failed(Errno.EACCES)
                : Mmap.DoMmap(s.Mm(mm), call.Addr, call.Length, call.Prot, call.Flags, file, call.PgoffPages);
        });
        return await FinishMmap(k, mm, result, call.Length);
    }

    /// <summary>
    /// The end of mmap_region, shared by anonymous and file mappings: unmap what MAP_FIXED replaced,
    /// tell the hooks, drop mmap_lock, populate when asked. Caller holds mmap_lock for write.
    /// </summary>
    private static async ActorTask<long> FinishMmap(KernelContext k, MmId mm, MmapResult result, ulong length)
    {
        if (result.Error != Errno.None)
        {
            k.MmapWriteUnlock(mm);
            return Err(result.Error);
        }

        await UnmapRegion(k, mm, result.Replaced, MmuNotifierEvent.Unmap);
        var mapped = new AddrRange(result.Address, result.Address + VirtAddr.PageAlignLength(length));
        await k.VmaHooks.VmaChanged(k, mm, mapped);
        k.MmapWriteUnlock(mm);
        if (result.Populate)
        {
            await MmPopulate(k, mm, mapped);
        }

        return (long)result.Address.Value;
    }

    /// <summary>munmap (do_vmi_munmap): split the VMAs at the ends, remove them, unmap_region.</summary>
    private static async ActorTask<long> SysMunmap(KernelContext k, VirtAddr addr, ulong length)
    {
        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        (int uffd, MunmapResult result) = await k.Mem("do_vmi_munmap", s => (UffdEvents.UnmapPrep(s, mm, addr, length), Vma.DoVmiMunmap(s.Mm(mm), addr, length))); // userfaultfd_unmap_prep first, while the VMAs are there
        if (result.Error == Errno.None)
        {
            await UnmapRegion(k, mm, result.Plan, MmuNotifierEvent.Unmap);
            if (!result.Plan.IsEmpty)
            {
                await k.VmaHooks.VmaChanged(k, mm, result.Plan.Span);
            }
        }

        k.MmapWriteUnlock(mm);
        if (uffd != 0)
        {
            await UffdEvents.EventWaitCompletion(k, uffd, UffdEvents.RangeMsg(UffdEvent.Unmap, addr, length)); // userfaultfd_unmap_complete
        }

        return result.Error == Errno.None ? 0 : Err(result.Error);
    }

    /// <summary>brk: grow or shrink the heap VMA; returns the new break (the old one when refused).</summary>
    private static async ActorTask<long> SysBrk(KernelContext k, VirtAddr addr)
    {
        MmId mm = k.Mm;
        await k.MmapWriteLock(mm);
        BrkResult result = await k.Mem("brk", s => Mmap.SysBrk(s.Mm(mm), addr));
        await UnmapRegion(k, mm, result.Shrunk, MmuNotifierEvent.Unmap);
        if (!result.Shrunk.IsEmpty)
        {
            await k.VmaHooks.VmaChanged(k, mm, result.Shrunk.Span);
        }

        if (!result.Grown.IsEmpty)
        {
            await k.VmaHooks.VmaChanged(k, mm, result.Grown);
        }

        k.MmapWriteUnlock(mm);
        if (result.Populate && !result.Grown.IsEmpty)
        {
            await MmPopulate(k, mm, result.Grown);
        }

        return (long)result.Brk.Value;
    }
}

using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>do_fault: first touch of a file-backed or shmem page.</summary>
public static partial class Fault
{
    /// <summary>
    /// do_fault: do_read_fault maps the page-cache page, do_cow_fault (a write to a private file
    /// mapping) maps a private copy, do_shared_fault maps the page-cache page writable. A page past
    /// the end of the file is VM_FAULT_SIGBUS.
    /// We enter with mmap_lock held for read, no PTE lock; return the same way.
    /// </summary>
    public static async ActorTask<VmFault> DoFault(KernelContext k, VmArea vma, VirtAddr page, PtePageId table, FaultFlags flags)
    {
        MmId mm = k.Mm;
        MappedFile file = vma.VmFile ?? throw new KernelBugException("do_fault on an anonymous VMA");
        bool write = (flags & FaultFlags.Write) != 0;
        bool cow = write && (vma.VmFlags & VmFlags.Shared) == 0;
        ulong pgoff = vma.LinearPageIndex(page);
        if (pgoff >= (ulong)file.SizePages)
        {
            return VmFault.Sigbus; // filemap_fault / shmem_fault: the page lies beyond i_size
        }

        string who = k.Label(cow ? "do_cow_fault" : write ? "do_shared_fault" : "do_read_fault");
        if (cow)
        {
            await AnonVmaPrepare(k, vma);
        }

        // filemap_fault may drop mmap_lock while it reads the page (maybe_unlock_mmap_for_io) and ask
        // for a retry, unless this already is the retry or the caller cannot retry (GUP, populate).
        bool mayRetry = (flags & FaultFlags.AllowRetry) != 0 && (flags & FaultFlags.Tried) == 0;

        // __do_fault → filemap_fault / shmem_fault, and for COW the private copy.
        (Pfn? mapped, bool major, bool retry) = await k.Mem("__do_fault", s =>
        {
            (Pfn? cached, bool wasMajor) = s.PageCache.FindOrRead(s.Frames, file, pgoff, s.Who(who), s.FileFill(file));
            if (cached is Pfn read && wasMajor && mayRetry)
            {
                s.Frames.PutPage(read, s.Who(who)); // the page stays in the cache; the retry maps it
                return ((Pfn?)null, true, true);
            }

            if (!cow || cached is not Pfn source)
            {
                return (cached, wasMajor, false);
            }

            Pfn? copy = s.Frames.AllocPage(FrameKind.Anon, s.Who(who));
            if (copy is Pfn fresh)
            {
                s.Frames.CopyPage(fresh, source, s.Who(who));
            }

            s.Frames.PutPage(source, s.Who(who));
            return (copy, wasMajor, false);
        });
        if (retry)
        {
            k.MmapReadUnlock(mm); // VM_FAULT_RETRY: returns without mmap_lock
            return VmFault.Retry;
        }

        if (mapped is not Pfn pfn)
        {
            return VmFault.Oom;
        }

        var ptl = new PtlRef(table);
        await k.Lock(ptl, LockMode.Exclusive);
        bool installed = await k.Mem("finish_fault", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            if (!pgd.GetPte(page).IsNone)
            {
                s.Frames.PutPage(pfn, s.Who(who));
                return false;
            }

            Pte entry = Pte.MkPte(pfn, vma.PageProt);
            if (write)
            {
                entry = MaybeMkwrite(entry.PteMkDirty(), vma);
            }

            s.Frames.AddMapCount(pfn, s.Who(who));
            pgd.SetPteAt(page, entry);
            return true;
        });
        if (installed)
        {
            await k.VmaHooks.PteMapped(k, mm, page);
        }

        k.Unlock(ptl, LockMode.Exclusive);
        return major ? VmFault.Major : VmFault.None;
    }
}

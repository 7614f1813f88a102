using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>UFFDIO_COPY, UFFDIO_ZEROPAGE and UFFDIO_CONTINUE (mfill_atomic) and UFFDIO_WRITEPROTECT (mwriteprotect_range).</summary>
/// <remarks>
/// fs/userfaultfd.c userfaultfd_copy / _zeropage / _continue / _writeprotect and mm/userfaultfd.c. The
/// errors follow the kernel: -EAGAIN while a non-cooperative event is in flight (mmap_changing, checked
/// before and again under mmap_lock), -ENOENT when no VMA registered with this context covers the whole
/// range (it was unmapped, or the registration is gone), -EEXIST for a page already mapped, -ESRCH when
/// the target's mm has no users left (mmget_not_zero), and -EAGAIN when only part of the range was filled.
/// </remarks>
public static partial class UffdSyscalls
{
    /// <summary>MFILL_ATOMIC_*.</summary>
    internal enum FillMode
    {
        Copy,
        Zeropage,
        Continue,
    }

    /// <summary>The ioctl around mfill_atomic: checks, the fill, the wake-up unless DONTWAKE, the partial-fill rule.</summary>
    private static async ActorTask<long> MfillIoctl(KernelContext k, int fd, VirtAddr dst, ulong length, int mode, FillMode fill, byte pattern, byte[]? contents = null)
    {
        int pid = k.CurrentPid;
        (UserfaultfdCtx? ctx, Errno error) = await k.Mem("userfaultfd_ioctl", s =>
        {
            (UserfaultfdCtx? c, Errno e) = ReadyCtx(s, pid, fd);
            return c is { MmapChanging: > 0 } ? (null, Errno.EAGAIN) : (c, e);
        });
        long ret;
        if (ctx is null)
        {
            ret = Err(error);
        }
        else if ((mode & ~UffdApi.CopyModeDontwake) != 0 || !ValidRange(dst, length))
        {
            ret = Err(Errno.EINVAL);
        }
        else if (contents is not null && (ulong)contents.Length != length)
        {
            ret = Err(Errno.EFAULT); // copy_from_user ran off the source buffer
        }
        else if (!await k.Mem("mmget_not_zero", s => MmgetNotZero(s, ctx.Mm)))
        {
            ret = Err(Errno.ESRCH);
        }
        else
        {
            ret = await MfillAtomic(k, ctx, dst, length, fill, pattern, contents);
            if (ret > 0)
            {
                if ((mode & UffdApi.CopyModeDontwake) == 0)
                {
                    var woken = new AddrRange(dst, dst + (ulong)ret);
                    await k.Mem("wake_userfault", s => WakeUserfault(s, ctx, woken));
                }

                ret = (ulong)ret == length ? 0 : Err(Errno.EAGAIN);
            }
        }

        return ret;
    }

    internal static bool LogIoctl(KernelState s, int pid, string name, long ret)
    {
        List<(int, string, long)> log = s.Extension<UffdState>().IoctlLog;
        if (log.Count < UffdApi.ReadLogMax)
        {
            log.Add((pid, name, ret));
        }

        return true;
    }

    /// <summary>mfill_atomic: under the target's mmap_lock for read, fill page after page; bytes filled, or -errno when none was.</summary>
    private static async ActorTask<long> MfillAtomic(KernelContext k, UserfaultfdCtx ctx, VirtAddr dst, ulong length, FillMode fill, byte pattern, byte[]? contents)
    {
        MmId mm = ctx.Mm;
        var range = new AddrRange(dst, dst + length);
        await k.MmapReadLock(mm);
        (Errno error, VmArea? vma) = await k.Mem("find_dst_vma", s => FindDstVma(s, ctx, range, fill));
        if (vma is null)
        {
            k.MmapReadUnlock(mm);
            return Err(error);
        }

        long copied = 0;
        long err = 0;
        for (VirtAddr page = dst; page < range.End; page += PageGeometry.PageSize)
        {
            int offset = (int)(page.Value - dst.Value);
            byte[]? source = contents?[offset..(offset + (int)PageGeometry.PageSize)];
            err = await MfillAtomicPte(k, mm, vma, page, fill, pattern, source);
            if (err < 0)
            {
                break;
            }

            copied += (long)PageGeometry.PageSize;
        }

        k.MmapReadUnlock(mm);
        return copied > 0 ? copied : err;
    }

    /// <summary>
    /// The checks of mfill_atomic under mmap_lock: mmap_changing (-EAGAIN), find_dst_vma (one VMA
    /// registered with this context covering the range, else -ENOENT), the memory type (-EINVAL), and
    /// anon_vma_prepare for private memory.
    /// </summary>
    private static (Errno Error, VmArea? Vma) FindDstVma(KernelState s, UserfaultfdCtx ctx, AddrRange range, FillMode fill)
    {
        if (ctx.MmapChanging > 0)
        {
            return (Errno.EAGAIN, null);
        }

        MmStruct m = s.Mm(ctx.Mm);
        VmArea? vma = m.Vmas.FindVma(range.Start);
        if (vma is null || vma.VmStart > range.Start || range.End > vma.VmEnd || !UffdApi.IsRegistered(vma)
            || s.Extension<UffdState>().RegisteredCtx(ctx.Mm) != ctx)
        {
            return (Errno.ENOENT, null);
        }

        bool shmem = vma.VmFile?.IsShmem == true;
        if ((!vma.IsAnonymous && !shmem) || (fill == FillMode.Continue && !shmem))
        {
            return (Errno.EINVAL, null);
        }

        if (!shmem && vma.AnonVma == 0)
        {
            int index = m.Vmas.FindVmaIndex(vma.VmStart);
            vma = vma.WithAnonVma(s.NextAnonVmaId++); // anon_vma_prepare
            m.Vmas.ReplaceAt(index, vma);
        }

        return (Errno.None, vma);
    }

    /// <summary>
    /// mfill_atomic_pte for one page: prepare the page (a new anonymous page with the source bytes, the
    /// zero page, or the shmem page-cache page), then under the PTE lock install it if the PTE is still
    /// none (mfill_atomic_install_pte), else -EEXIST. Caller holds the target's mmap_lock for read.
    /// </summary>
    private static async ActorTask<long> MfillAtomicPte(KernelContext k, MmId mm, VmArea vma, VirtAddr page, FillMode fill, byte pattern, byte[]? source)
    {
        k.MmapAssertLocked(mm, "mfill_atomic_pte");
        string who = k.Label("mfill_atomic_pte");
        bool shmem = vma.VmFile?.IsShmem == true;
        (Pfn? prepared, Errno error) = await k.Mem("mfill_atomic_pte prepare", s => PreparePage(s, vma, page, fill, pattern, source, shmem, s.Who(who)));
        if (error != Errno.None)
        {
            return Err(error);
        }

        PtePageId? table = await k.Mem("mm_alloc_pmd / __pte_alloc", s => s.Mm(mm).Pgd.PteAlloc(page, s.Who(who)));
        if (table is not PtePageId pte)
        {
            await PutPrepared(k, prepared, who);
            return Err(Errno.ENOMEM);
        }

        var ptl = new PtlRef(pte);
        await k.Lock(ptl, LockMode.Exclusive);
        bool installed = await k.Mem("mfill_atomic_install_pte", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            if (!pgd.GetPte(page).IsNone)
            {
                if (prepared is Pfn p)
                {
                    s.Frames.PutPage(p, s.Who(who));
                }

                return false;
            }

            Pte entry;
            if (prepared is Pfn pfn)
            {
                bool writable = (vma.VmFlags & VmFlags.Write) != 0 && (!shmem || (vma.VmFlags & VmFlags.Shared) != 0);
                entry = Pte.MkPte(pfn, vma.PageProt).PteMkDirty();
                entry = writable ? entry.PteMkWrite() : entry;
                s.Frames.AddMapCount(pfn, s.Who(who));
            }
            else
            {
                entry = Pte.MkPte(FrameAllocator.ZeroPfn, vma.PageProt).PteMkSpecial(); // mfill_atomic_pte_zeropage
            }

            pgd.SetPteAt(page, entry);
            return true;
        });
        if (installed)
        {
            await k.VmaHooks.PteMapped(k, mm, page);
        }

        k.Unlock(ptl, LockMode.Exclusive);
        return installed ? 0 : Err(Errno.EEXIST);
    }

    /// <summary>The page to install, with one reference for the mapping; null for the zero page.</summary>
    private static (Pfn? Page, Errno Error) PreparePage(KernelState s, VmArea vma, VirtAddr page, FillMode fill, byte pattern, byte[]? source, bool shmem, Provenance who)
    {
        if (!shmem)
        {
            if (fill == FillMode.Zeropage)
            {
                return (null, Errno.None);
            }

            Pfn? fresh = s.Frames.AllocPage(FrameKind.Anon, who);
            if (fresh is Pfn pfn)
            {
                WriteSource(s, pfn, pattern, source, who);
            }

            return fresh is null ? (null, Errno.ENOMEM) : (fresh, Errno.None);
        }

        MappedFile file = vma.VmFile!;
        ulong pgoff = vma.LinearPageIndex(page);
        Pfn? cached = s.PageCache.Lookup(file.Ino, pgoff);
        if (fill == FillMode.Continue)
        {
            if (cached is not Pfn found)
            {
                return (null, Errno.EFAULT); // shmem_get_folio(SGP_NOALLOC) found nothing
            }

            s.Frames.GetPage(found, who);
            return (found, Errno.None);
        }

        if (cached is not null)
        {
            return (null, Errno.EEXIST); // shmem_mfill_atomic_pte: the page cache already has it
        }

        (Pfn? created, _) = s.PageCache.FindOrRead(s.Frames, file, pgoff, who);
        if (created is Pfn c && fill == FillMode.Copy)
        {
            WriteSource(s, c, pattern, source, who);
        }

        return created is null ? (null, Errno.ENOMEM) : (created, Errno.None);
    }

    /// <summary>copy_from_user of the monitor's source page: its contents when given, else byte i is <c>pattern + i</c>.</summary>
    private static void WriteSource(KernelState s, Pfn pfn, byte pattern, byte[]? source, Provenance who)
    {
        if (source is not null)
        {
            s.Frames.WriteBytes(pfn, 0, source, who);
            return;
        }

        Span<byte> contents = stackalloc byte[(int)PageGeometry.PageSize];
        for (int i = 0; i < contents.Length; i++)
        {
            contents[i] = UffdioCopyCall.SourceByte(pattern, i);
        }

        s.Frames.WriteBytes(pfn, 0, contents, who);
    }

    private static async ActorTask PutPrepared(KernelContext k, Pfn? prepared, string who)
    {
        if (prepared is Pfn pfn)
        {
            await k.Mem("put_page", s => s.Frames.PutPage(pfn, s.Who(who)));
        }
    }
}

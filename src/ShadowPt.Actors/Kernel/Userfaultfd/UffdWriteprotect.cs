using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>UFFDIO_WRITEPROTECT: mwriteprotect_range → uffd_wp_range → change_protection(MM_CP_UFFD_WP[_RESOLVE]).</summary>
public static partial class UffdSyscalls
{
    private static async ActorTask<long> UffdioWriteprotect(KernelContext k, UffdioWriteprotectCall call)
    {
        int pid = k.CurrentPid;
        bool enable = (call.Mode & UffdApi.WriteprotectModeWp) != 0;
        bool dontWake = (call.Mode & UffdApi.WriteprotectModeDontwake) != 0;
        (UserfaultfdCtx? ctx, Errno error) = await k.Mem("userfaultfd_writeprotect", s =>
        {
            (UserfaultfdCtx? c, Errno e) = ReadyCtx(s, pid, call.Fd);
            return c is { MmapChanging: > 0 } ? (null, Errno.EAGAIN) : (c, e);
        });
        long ret;
        if (ctx is null)
        {
            ret = Err(error);
        }
        else if ((call.Mode & ~(UffdApi.WriteprotectModeWp | UffdApi.WriteprotectModeDontwake)) != 0 || (enable && dontWake) || !ValidRange(call.Start, call.Length))
        {
            ret = Err(Errno.EINVAL); // "meaningless to wake while protecting"
        }
        else if (!await k.Mem("mmget_not_zero", s => MmgetNotZero(s, ctx.Mm)))
        {
            ret = Err(Errno.ESRCH);
        }
        else
        {
            var range = new AddrRange(call.Start, call.Start + call.Length);
            ret = await MwriteprotectRange(k, ctx, range, enable);
            if (ret == 0 && !enable && !dontWake)
            {
                await k.Mem("wake_userfault", s => WakeUserfault(s, ctx, range));
            }
        }

        return ret;
    }

    /// <summary>
    /// mwriteprotect_range: every VMA of the range must be registered for WP (-ENOENT otherwise). Setting
    /// marks present PTEs uffd-wp and read-only, then flushes the TLBs; clearing drops the marker and
    /// makes the PTE writable again where mprotect could (MM_CP_TRY_CHANGE_WRITABLE: a shared mapping, or
    /// an anonymous page this mapping alone holds); otherwise the retried write goes through do_wp_page.
    /// </summary>
    private static async ActorTask<long> MwriteprotectRange(KernelContext k, UserfaultfdCtx ctx, AddrRange range, bool enable)
    {
        MmId mm = ctx.Mm;
        await k.MmapReadLock(mm);
        (Errno error, VmArea[] vmas) = await k.Mem("mwriteprotect_range", s =>
        {
            if (ctx.MmapChanging > 0)
            {
                return (Errno.EAGAIN, Array.Empty<VmArea>());
            }

            MmStruct m = s.Mm(mm);
            var found = new List<VmArea>();
            VirtAddr at = range.Start;
            for (int i = m.Vmas.FindVmaIndex(range.Start); i < m.Vmas.Count && m.Vmas[i].VmStart < range.End; i++)
            {
                if ((m.Vmas[i].VmFlags & VmFlags.UffdWp) == 0 || m.Vmas[i].VmStart > at)
                {
                    return (Errno.ENOENT, Array.Empty<VmArea>());
                }

                found.Add(m.Vmas[i]);
                at = m.Vmas[i].VmEnd;
            }

            return found.Count == 0 ? (Errno.ENOENT, Array.Empty<VmArea>()) : (Errno.None, found.ToArray());
        });
        if (error != Errno.None)
        {
            k.MmapReadUnlock(mm);
            return Err(error);
        }

        var notifierRange = new MmuNotifierRange(mm, range, MmuNotifierEvent.ProtectionVma);
        await k.MmuNotifierInvalidateRangeStart(notifierRange);
        bool revoked = false;
        foreach (VmArea vma in vmas)
        {
            VirtAddr from = vma.VmStart > range.Start ? vma.VmStart : range.Start;
            VirtAddr to = vma.VmEnd < range.End ? vma.VmEnd : range.End;
            for (VirtAddr page = from; page < to; page += PageGeometry.PageSize)
            {
                revoked |= await ChangePteUffdWp(k, mm, vma, page, enable);
            }
        }

        if (revoked)
        {
            await k.FlushTlbMmRange(mm, range, freedTables: false);
        }

        await k.MmuNotifierInvalidateRangeEnd(notifierRange);
        k.MmapReadUnlock(mm);
        return 0;
    }

    /// <summary>change_pte_range for one page under its PTE lock; true when a write permission was removed.</summary>
    private static async ActorTask<bool> ChangePteUffdWp(KernelContext k, MmId mm, VmArea vma, VirtAddr page, bool enable)
    {
        PtePageId? table = await k.Mem("change_pmd_range", s => s.Mm(mm).Pgd.PteTableOf(page));
        if (table is not PtePageId pte)
        {
            return false;
        }

        var ptl = new PtlRef(pte);
        await k.Lock(ptl, LockMode.Exclusive);
        bool revoked = await k.Mem("change_pte_range (uffd-wp)", s =>
        {
            PageTable pgd = s.Mm(mm).Pgd;
            Pte old = pgd.GetPte(page);
            if (!old.IsPresent)
            {
                return false;
            }

            Pte updated;
            if (enable)
            {
                updated = old.PteMkUffdWp();
            }
            else
            {
                updated = old.PteClearUffdWp();
                bool normal = !old.IsSpecial && old.Pfn != FrameAllocator.ZeroPfn;
                bool shared = (vma.VmFlags & VmFlags.Shared) != 0;
                bool exclusiveAnon = normal && s.Frames.Kind(old.Pfn) == FrameKind.Anon
                    && s.Frames.PageRefCount(old.Pfn) == 1 && s.Frames.PageMapCount(old.Pfn) == 1;
                if ((vma.VmFlags & VmFlags.Write) != 0 && normal && (shared ? old.IsDirty : exclusiveAnon))
                {
                    updated = updated.PteMkWrite(); // can_change_pte_writable
                }
            }

            if (updated != old)
            {
                pgd.SetPteAt(page, updated);
            }

            return old.IsWrite && !updated.IsWrite;
        });
        k.Unlock(ptl, LockMode.Exclusive);
        return revoked;
    }
}

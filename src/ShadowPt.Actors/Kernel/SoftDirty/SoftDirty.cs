using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// Soft-dirty tracking: writing 4 to /proc/PID/clear_refs clears VM_SOFTDIRTY on every VMA and the
/// soft-dirty bit of every PTE (swap PTEs included), write-protecting present PTEs so that the next
/// write faults and sets the bit again (do_wp_page's reuse path, pte_mkdirty). pagemap bit 55 then
/// tells which pages were written since.
/// </summary>
/// <remarks>
/// fs/proc/task_mmu.c clear_refs_write, clear_refs_pte_range and clear_soft_dirty;
/// Documentation/admin-guide/mm/soft-dirty.rst. Since Linux 5.10 (commit 29a951dfb3c3, "mm: fix
/// clear_refs_write locking") clear_refs takes mmap_lock for write for the whole operation (older
/// kernels took it for read and upgraded to clear VM_SOFTDIRTY); this model follows the modern one.
/// Order: clear VM_SOFTDIRTY, mmu_notifier_invalidate_range_start(MMU_NOTIFY_SOFT_DIRTY, 0..-1),
/// the PTE walk one PTE page at a time under its lock, invalidate_range_end, flush_tlb_mm. Without
/// CONFIG_MEM_SOFT_DIRTY the write succeeds but changes no PTE, as on the reference machine.
/// Not modelled: the other clear_refs types (1, 2, 3, 5 answer EINVAL here) and pinned-page skipping.
/// </remarks>
public static class SoftDirty
{
    /// <summary>CLEAR_REFS_SOFT_DIRTY: the value written to clear_refs.</summary>
    public const int ClearRefsSoftDirty = 4;

    /// <summary>Bug variant: clear_refs never flushes the TLBs, so a stale writable translation lets a write through without a fault.</summary>
    public const string ClearRefsNoFlushVariant = "clear-refs-no-flush";

    /// <summary>vma_soft_dirty_enabled: tracking is on (CONFIG_MEM_SOFT_DIRTY) and the VMA is not wholly soft-dirty.</summary>
    public static bool VmaSoftDirtyEnabled(bool memSoftDirty, VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        return memSoftDirty && (vma.VmFlags & VmFlags.SoftDirty) == 0;
    }

    /// <summary>pte_needs_soft_dirty_wp: a PTE that is not soft-dirty must stay write-protected in a tracked VMA.</summary>
    public static bool PteNeedsSoftDirtyWp(bool memSoftDirty, VmArea vma, Pte pte) =>
        VmaSoftDirtyEnabled(memSoftDirty, vma) && !pte.IsSoftDirty;

    /// <summary>clear_soft_dirty for one entry: present ones lose soft-dirty and write permission, swap ones _PAGE_SWP_SOFT_DIRTY.</summary>
    public static Pte ClearSoftDirtyPte(Pte pte)
    {
        if (pte.IsPresent)
        {
            return pte.PteWrProtect().PteClearSoftDirty();
        }

        return pte.IsSwap ? new Pte(pte.Value & ~PteBits.SwpSoftDirty) : pte;
    }

    /// <summary>
    /// clear_refs_write with 4 for the task <paramref name="pid"/> (0: the caller; <paramref name="comm"/>
    /// when given: pidof it). Returns ESRCH when there is no such task with an mm. Enters and returns with
    /// no lock held; takes the target's mmap_lock for write.
    /// </summary>
    public static async ActorTask<Errno> ClearRefs(KernelContext k, int pid, string? comm = null)
    {
        ArgumentNullException.ThrowIfNull(k);
        if (await ProcTarget.GetTaskMm(k, pid, comm) is not MmId mm)
        {
            return Errno.ESRCH;
        }

        await k.MmapWriteLock(mm);
        await ClearRefsLocked(k, mm);
        k.MmapWriteUnlock(mm);
        await ProcTarget.MmPut(k, mm);
        return Errno.None;
    }

    /// <summary>
    /// The body of clear_refs_write for CLEAR_REFS_SOFT_DIRTY on <paramref name="mm"/>: VM_SOFTDIRTY
    /// cleared, the notifier range, the PTE walk, the TLB flush. Caller holds mmap_lock for write (a
    /// checkpointer that reads pagemap under the same lock gets the dirty set and the clear atomically).
    /// </summary>
    public static async ActorTask ClearRefsLocked(KernelContext k, MmId mm)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.MmapAssertWriteLocked(mm, "clear_refs_write");
        (AddrRange[] walk, bool tracking) = await k.Mem("clear_refs VM_SOFTDIRTY", s =>
        {
            MmStruct m = s.Mm(mm);
            var ranges = new List<AddrRange>();
            for (int i = 0; i < m.Vmas.Count; i++)
            {
                VmArea vma = m.Vmas[i];
                if ((vma.VmFlags & VmFlags.SoftDirty) != 0)
                {
                    m.Vmas.ReplaceAt(i, vma.WithFlags(vma.VmFlags & ~VmFlags.SoftDirty)); // vm_flags_clear
                }

                if (!vma.IsPfnMap)
                {
                    ranges.Add(vma.Range); // clear_refs_test_walk skips VM_PFNMAP
                }
            }

            return (ranges.ToArray(), m.Layout.MemSoftDirty);
        });
        var whole = new MmuNotifierRange(mm, new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax)), MmuNotifierEvent.SoftDirty);
        await k.MmuNotifierInvalidateRangeStart(whole);
        if (tracking)
        {
            foreach (AddrRange range in walk)
            {
                await ClearRefsRange(k, mm, range);
            }
        }

        await k.MmuNotifierInvalidateRangeEnd(whole);
        if (!k.Config.HasVariant(ClearRefsNoFlushVariant))
        {
            await k.FlushTlbMm(mm, freedTables: false);
        }
        await k.Mem("clear_refs done", s => ClearRefsLog.Of(s).Record(s, mm));
    }

    /// <summary>clear_refs_pte_range over one VMA, one PTE page at a time under its lock. Caller holds mmap_lock for write.</summary>
    private static async ActorTask ClearRefsRange(KernelContext k, MmId mm, AddrRange range)
    {
        k.MmapAssertWriteLocked(mm, "clear_refs_pte_range");
        PtePageId[] tables = await k.Mem("clear_refs walk", s => Syscalls.PtePagesOf(s.Mm(mm).Pgd, range));
        foreach (PtePageId table in tables)
        {
            var ptl = new PtlRef(table);
            await k.Lock(ptl, LockMode.Exclusive);
            await k.Mem("clear_soft_dirty", s =>
            {
                PageTable pgd = s.Mm(mm).Pgd;
                AddrRange part = Syscalls.ClampToTable(range, table, pgd);
                int cleared = 0;
                for (VirtAddr addr = part.Start; addr < part.End; addr += PageGeometry.PageSize)
                {
                    Pte old = pgd.GetPte(addr);
                    Pte updated = ClearSoftDirtyPte(old);
                    if (updated != old)
                    {
                        pgd.SetPteAt(addr, updated);
                        cleared++;
                    }
                }

                return cleared;
            });
            k.Unlock(ptl, LockMode.Exclusive);
        }
    }
}

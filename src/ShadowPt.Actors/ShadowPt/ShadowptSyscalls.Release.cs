using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Spt;

/// <summary>Tearing the table down: the cleanup shared by close, stop and the inspector's exit.</summary>
public static partial class ShadowptSyscalls
{
    /// <summary>
    /// The cleanup of close and of the inspector's exit: stop tracking (notifier unregistered and
    /// synchronized), zap the inspector's mapping of the table and flush its TLBs, restore the range to
    /// a plain anonymous mapping, and only then free the table's frames.
    /// Runs on the inspector's CPU with its mm current; takes its mmap_lock for write.
    /// </summary>
    internal static async ActorTask Release(KernelContext k, ShadowHooks hooks)
    {
        await Untrack(k, hooks);
        (MmId openerMm, VirtAddr entries, int pages) = await k.Mem("shadowpt_close table", s =>
        {
            SptState t = s.Extension<SptState>();
            return (t.OpenerMm, t.UserEntries, t.Frames.Count);
        });
        if (pages == 0)
        {
            return;
        }

        var range = new AddrRange(entries, entries + ((ulong)pages << PageGeometry.PageShift));
        bool freeFirst = k.Config.HasVariant(Variants.CloseFreesBeforeZap);
        if (freeFirst)
        {
            await FreeTable(k);
        }

        await k.MmapWriteLock(openerMm);
        await k.Mem("zap_vma_ptes", s => ZapTableMapping(s.Mm(openerMm), range));
        await k.FlushTlbMmRange(openerMm, range, freedTables: false);
        await k.Mem("shadowpt_close restore vma", s => RestoreVma(s, openerMm, range));
        k.MmapWriteUnlock(openerMm);
        if (!freeFirst)
        {
            await FreeTable(k);
        }
    }

    /// <summary>Frees the table's frames and forgets the table, under the shadow lock.</summary>
    private static async ActorTask FreeTable(KernelContext k)
    {
        string who = k.Label("shadowpt free_pages_exact");
        await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        await k.Mem("free_pages_exact", s =>
        {
            SptState t = s.Extension<SptState>();
            foreach (Pfn pfn in t.Frames)
            {
                s.Frames.FreePage(pfn, s.Who(who));
            }

            t.MarkClosed();
            return true;
        });
        k.Unlock(ShadowPtLockRef.Instance, LockMode.Exclusive);
    }

    /// <summary>What open added to the VMA flags of the entries range.</summary>
    private const VmFlags TableVmFlags = RemapPfn.RemapFlags | VmFlags.DontCopy;

    /// <summary>
    /// zap_vma_ptes over the parts of <paramref name="range"/> still mapped by the table's VM_PFNMAP
    /// VMA. What the inspector mapped there after unmapping the table is its own memory, not ours to
    /// tear down (special-PTE zapping would drop its pages without their counts).
    /// </summary>
    private static int ZapTableMapping(MmStruct mm, AddrRange range)
    {
        var cleared = new List<ZappedPte>();
        for (int i = mm.Vmas.FindVmaIndex(range.Start); i < mm.Vmas.Count && mm.Vmas[i].VmStart < range.End; i++)
        {
            VmArea vma = mm.Vmas[i];
            if ((vma.VmFlags & VmFlags.PfnMap) != 0)
            {
                VirtAddr start = vma.VmStart > range.Start ? vma.VmStart : range.Start;
                VirtAddr end = vma.VmEnd < range.End ? vma.VmEnd : range.End;
                mm.Pgd.ZapPteRange(new AddrRange(start, end), cleared); // special PTEs: no rmap, no page references
            }
        }

        return cleared.Count;
    }

    /// <summary>
    /// The parts of the range still mapped by the table become the plain anonymous mapping they were
    /// before open (keeping any mprotect the inspector made since), merged back with their neighbours.
    /// Returns whether any part was still the table's.
    /// </summary>
    private static bool RestoreVma(KernelState s, MmId openerMm, AddrRange range)
    {
        SptState t = s.Extension<SptState>();
        MmStruct mm = s.Mm(openerMm);
        bool restored = false;
        for (int i = mm.Vmas.FindVmaIndex(range.Start); i < mm.Vmas.Count && mm.Vmas[i].VmStart < range.End; i++)
        {
            VmArea vma = mm.Vmas[i];
            if ((vma.VmFlags & VmFlags.PfnMap) == 0)
            {
                continue; // the inspector unmapped or replaced this part meanwhile
            }

            VmFlags flags = (vma.VmFlags & ~TableVmFlags) | (t.SavedVmFlags & TableVmFlags);
            ulong pgoff = t.SavedVmPgoff + ((vma.VmStart - range.Start) >> PageGeometry.PageShift);
            mm.Vmas.ReplaceAt(i, new VmArea(vma.VmStart, vma.VmEnd, flags, pgoff, vma.VmFile, vma.AnonVma));
            i = Vma.MergeWithNeighbours(mm, i);
            restored = true;
        }

        return restored;
    }

    /// <summary>Tracking off under the lock, then the notifier unregistered with synchronize_srcu (mm/mmu_notifier.c mmu_notifier_unregister).</summary>
    private static async ActorTask Untrack(KernelContext k, ShadowHooks hooks)
    {
        await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        MmuNotifier? subscription = await k.Mem("shadowpt_stop", s =>
        {
            SptState t = s.Extension<SptState>();
            MmuNotifier? sub = t.Subscription;
            t.Tracking = false;
            t.Subscription = null;
            return sub;
        });
        k.Unlock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        hooks.SetTracked(null);
        if (subscription is null || k.Config.HasVariant(Variants.StopKeepsNotifier))
        {
            return;
        }

        if (k.Config.HasVariant(Variants.UnregisterWithoutSync))
        {
            // The bug: unhooked, but no synchronize_srcu: a callback that entered its SRCU read section
            // before may still be running when close goes on to free the table under it.
            await k.Mem("mmu_notifier_unregister (no synchronize_srcu)", s => s.FindMm(subscription.Mm)?.Notifiers.Remove(subscription) ?? false);
            return;
        }

        await k.MmuNotifierUnregister(subscription);
    }
}

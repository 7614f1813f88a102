using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Criu;

/// <summary>A page the dumper found: present or swapped (the zero page is not dumped), soft-dirty or not.</summary>
public readonly record struct CollectedPage(ulong Address, bool SoftDirty);

/// <summary>What one collection saw: the VMAs, the pages, and (for a frozen dump) a snapshot of the memory.</summary>
public sealed record Collected(IReadOnlyList<ImageVma> Vmas, IReadOnlyList<CollectedPage> Pages, MemorySnapshot? Snapshot);

/// <summary>
/// The checkpointer's kernel work, as CRIU does it from user space through /proc and a parasite:
/// the maps view and pagemap of the target, then clear_refs 4, atomically under the target's
/// mmap_lock for write (<see cref="CollectAndClear"/>); then the page contents under mmap_lock for read
/// and each PTE page's lock (<see cref="ReadPages"/>, what process_vm_readv or the parasite's vmsplice
/// read); and the restorer's writes into its own memory (<see cref="RestorePage"/>).
/// </summary>
/// <remarks>
/// Why collect and clear under one write lock: a write between a pagemap read and a separate clear_refs
/// would set soft-dirty and be cleared unseen. Holding mmap_lock for write keeps write faults out (a
/// cleaned PTE is write-protected, so every write to it faults and takes mmap_lock), and a write through
/// a PTE that is still writable is to a page already soft-dirty, so in the collected set. Contents are
/// read after the clear: a write before it is in the contents, a write after it is soft-dirty for the
/// next dump. fs/proc/task_mmu.c pagemap_read and clear_refs_write; CRIU criu/mem.c and criu/pagemap.c.
/// </remarks>
public static class CriuKernel
{
    /// <summary>
    /// Bug variant: read pagemap under mmap_lock for read, drop it, then write clear_refs as a separate call:
    /// a write in between sets soft-dirty on a page outside the collected set and the clear wipes it, so that
    /// write is in no image and the restored memory differs.
    /// </summary>
    public const string SplitCollectVariant = "criu-pagemap-then-clear";

    /// <summary>Most pages one <see cref="ReadPages"/> call reads.</summary>
    public const int ReadPagesMax = ImageCodec.PagesMax;

    /// <summary>
    /// The VMAs and pages of task <paramref name="pid"/>, with soft-dirty; then, when <paramref name="clear"/>,
    /// clear_refs 4, under the same mmap_lock write hold. A <paramref name="snapshot"/> is taken inside the
    /// collection (meaningful when the task is frozen). Null when the task is gone. No locks held on entry or return.
    /// </summary>
    public static async ActorTask<Collected?> CollectAndClear(KernelContext k, int pid, bool clear, bool snapshot)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.AssertNoLocksHeld("criu collect");
        if (await ProcTarget.GetTaskMm(k, pid) is not MmId mm)
        {
            return null;
        }

        if (clear && k.Config.HasVariant(SplitCollectVariant))
        {
            await k.MmapReadLock(mm);
            Collected racy = await k.Mem("criu: maps and pagemap", s => Collect(s, s.Mm(mm), snapshot));
            k.MmapReadUnlock(mm);
            await ProcTarget.MmPut(k, mm);
            await SoftDirty.ClearRefs(k, pid);
            return racy;
        }

        await k.MmapWriteLock(mm);
        Collected collected = await k.Mem("criu: maps and pagemap", s => Collect(s, s.Mm(mm), snapshot));
        if (clear)
        {
            await SoftDirty.ClearRefsLocked(k, mm);
        }

        k.MmapWriteUnlock(mm);
        await ProcTarget.MmPut(k, mm);
        return collected;
    }

    /// <summary>
    /// The contents of pages <paramref name="addresses"/> (ascending) of task <paramref name="pid"/>, read under
    /// mmap_lock for read and each PTE page's lock; a page no longer present or swapped reads as null. Null
    /// when the task is gone. No locks held on entry or return.
    /// </summary>
    public static async ActorTask<byte[]?[]?> ReadPages(KernelContext k, int pid, IReadOnlyList<ulong> addresses)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(addresses.Count, ReadPagesMax);
        k.AssertNoLocksHeld("process_vm_readv");
        Bug.On(addresses.Zip(addresses.Skip(1)).Any(p => p.Second <= p.First), "process_vm_readv: addresses must ascend");
        if (await ProcTarget.GetTaskMm(k, pid) is not MmId mm)
        {
            return null;
        }

        var result = new byte[]?[addresses.Count];
        await k.MmapReadLock(mm);
        int i = 0;
        while (i < addresses.Count)
        {
            // One PTE page at a time: every address in [first, end of its table) under that table's lock.
            VirtAddr first = new(addresses[i]);
            ulong tableEnd = (first.Value | ((1UL << 21) - 1)) + 1;
            int j = i;
            while (j < addresses.Count && addresses[j] < tableEnd)
            {
                j++;
            }

            PtePageId[] tables = await k.Mem("criu: find pte page", s => Syscalls.PtePagesOf(s.Mm(mm).Pgd, new AddrRange(first, first + PageGeometry.PageSize)));
            int from = i;
            int to = j;
            if (tables.Length == 1)
            {
                var ptl = new PtlRef(tables[0]);
                await k.Lock(ptl, LockMode.Exclusive);
                await k.Mem("criu: read pages", s =>
                {
                    MmStruct m = s.Mm(mm);
                    for (int n = from; n < to; n++)
                    {
                        result[n] = PeekPage(s, m, new VirtAddr(addresses[n]));
                    }

                    return true;
                });
                k.Unlock(ptl, LockMode.Exclusive);
            }

            i = j;
        }

        k.MmapReadUnlock(mm);
        await ProcTarget.MmPut(k, mm);
        return result;
    }

    /// <summary>
    /// The restorer writes one page of its own memory: a write access faults the page in (writable, as
    /// the restorer maps every VMA writable first), then the whole page is stored, as its read() of
    /// pages-N.img into the mapping would. False (EFAULT) when the address cannot be written.
    /// </summary>
    public static async ActorTask<bool> RestorePage(KernelContext k, ulong address, byte[] contents)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(contents);
        Bug.On(contents.Length != PageGeometry.PageSizeBytes, "restore: not a whole page");
        var at = new VirtAddr(address);
        (AccessOutcome outcome, _) = await UserAccess.ExecuteWord(k, at, true, BitConverter.ToUInt64(contents, 0));
        if (outcome.Segv || outcome.Oom)
        {
            return false;
        }

        MmId mm = k.Mm;
        string who = k.Label("criu restore: copy page");
        return await k.Mem("criu restore: copy page", s =>
        {
            Pte pte = s.Mm(mm).Pgd.GetPte(at);
            if (!pte.IsPresent || !pte.IsWrite)
            {
                return false; // changed under us: only this task maps it, so this is a model bug; report EFAULT
            }

            s.Frames.WriteBytes(pte.Pfn, 0, contents, s.Who(who));
            return true;
        });
    }

    /// <summary>The contents of the page at <paramref name="address"/>: a present page's frame (the zero page included), a swapped page's slot; null otherwise.</summary>
    internal static byte[]? PeekPage(KernelState s, MmStruct mm, VirtAddr address)
    {
        Pte pte = mm.Pgd.GetPte(address);
        var contents = new byte[PageGeometry.PageSizeBytes];
        if (pte.IsPresent)
        {
            if (pte.IsSpecial)
            {
                return null; // VM_PFNMAP: no struct page, not dumped
            }

            s.Frames.ReadBytes(pte.Pfn, 0, contents, s.Who("criu: read page"));
            return contents;
        }

        if (pte.IsSwap)
        {
            SwpEntry entry = pte.PteToSwpEntry();
            SwapInfo swap = SwapInfo.Of(s);
            if (swap.SwapCount(entry) == 0)
            {
                return null;
            }

            _ = swap.TryPeek(entry, contents); // a slot never written holds zeros
            return contents;
        }

        return null;
    }

    private static Collected Collect(KernelState s, MmStruct mm, bool snapshot)
    {
        var vmas = new List<ImageVma>();
        var pages = new List<CollectedPage>();
        foreach (VmArea vma in mm.Vmas.All)
        {
            vmas.Add(ImageVma.From(vma));
            if (vma.IsPfnMap)
            {
                continue;
            }

            for (ulong start = vma.VmStart.Value; start < vma.VmEnd.Value; start += (ulong)Pagemap.PagesPerReadMax << PageGeometry.PageShift)
            {
                int count = (int)Math.Min((ulong)Pagemap.PagesPerReadMax, (vma.VmEnd.Value - start) >> PageGeometry.PageShift);
                ulong[] raw = Pagemap.Read(mm, s.Frames, new VirtAddr(start), count);
                for (int i = 0; i < count; i++)
                {
                    var entry = new PagemapEntry(new VirtAddr(start + ((ulong)i << PageGeometry.PageShift)), raw[i]);
                    bool zeroPage = entry.Present && entry.Pfn == FrameAllocator.ZeroPfn.Value;
                    if ((entry.Present || entry.Swapped) && !zeroPage)
                    {
                        pages.Add(new CollectedPage(entry.Address.Value, entry.SoftDirty));
                    }
                }
            }
        }

        return new Collected(vmas, pages, snapshot ? MemorySnapshot.Take(s, mm) : null);
    }
}

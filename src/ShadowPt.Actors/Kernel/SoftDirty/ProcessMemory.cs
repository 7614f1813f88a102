using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// The library face of soft-dirty and pagemap for tools built on the model (checkpointing, write
/// tracking): clear the soft-dirty bits of a process, and read its pagemap over a range as decoded
/// entries. The in-kernel forms run as kernel code on a CPU (scheduling points, locks); the
/// <see cref="KernelState"/> forms read a quiescent machine directly (tests, reports).
/// </summary>
/// <remarks>fs/proc/task_mmu.c pagemap_read (under mmap_lock for read) and clear_refs_write.</remarks>
public static class ProcessMemory
{
    /// <summary>Most pages one read returns.</summary>
    public const int PagesPerReadMax = Pagemap.PagesPerReadMax;

    /// <summary>"Clear soft-dirty of process <paramref name="pid"/>": clear_refs 4, as kernel code on this CPU.</summary>
    public static ActorTask<Errno> ClearSoftDirty(KernelContext k, int pid) => SoftDirty.ClearRefs(k, pid);

    /// <summary>
    /// "Read the pagemap of <paramref name="pid"/> over <paramref name="range"/>", as kernel code on this
    /// CPU: under the target's mmap_lock for read. Null when the task is gone (ESRCH).
    /// </summary>
    public static async ActorTask<IReadOnlyList<PagemapEntry>?> ReadPagemap(KernelContext k, int pid, AddrRange range)
    {
        ArgumentNullException.ThrowIfNull(k);
        CheckRange(range);
        if (await ProcTarget.GetTaskMm(k, pid) is not MmId mm)
        {
            return null;
        }

        await k.MmapReadLock(mm);
        IReadOnlyList<PagemapEntry> entries = await k.Mem("pagemap_read", s => Decode(s, s.Mm(mm), range));
        k.MmapReadUnlock(mm);
        await ProcTarget.MmPut(k, mm);
        return entries;
    }

    /// <summary>The pagemap of task <paramref name="pid"/> over <paramref name="range"/> on a quiescent machine; empty when the task has no mm.</summary>
    public static IReadOnlyList<PagemapEntry> ReadPagemap(KernelState s, int pid, AddrRange range)
    {
        ArgumentNullException.ThrowIfNull(s);
        CheckRange(range);
        return s.FindTask(pid) is { Mm: MmStruct mm } ? Decode(s, mm, range) : [];
    }

    /// <summary>The soft-dirty pages of task <paramref name="pid"/> in <paramref name="range"/> on a quiescent machine.</summary>
    public static IReadOnlyList<VirtAddr> SoftDirtyPages(KernelState s, int pid, AddrRange range) =>
        ReadPagemap(s, pid, range).Where(e => e.SoftDirty).Select(e => e.Address).ToArray();

    private static PagemapEntry[] Decode(KernelState s, MmStruct mm, AddrRange range)
    {
        int pages = (int)range.Pages;
        ulong[] raw = Pagemap.Read(mm, s.Frames, range.Start, pages);
        var entries = new PagemapEntry[pages];
        for (int i = 0; i < pages; i++)
        {
            entries[i] = new PagemapEntry(range.Start + ((ulong)i << PageGeometry.PageShift), raw[i]);
        }

        return entries;
    }

    private static void CheckRange(AddrRange range)
    {
        Bug.On(!range.Start.IsPageAligned || !range.End.IsPageAligned, "pagemap: range must be page aligned");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(range.Pages, (ulong)PagesPerReadMax);
    }
}

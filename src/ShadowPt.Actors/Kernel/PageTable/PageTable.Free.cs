using PmdTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>;
using PudTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>>;

namespace ShadowPt.Kernel;

/// <summary>Unhooking page tables: free_pgd_range and the teardown at exit.</summary>
public sealed partial class PageTable
{
    /// <summary>
    /// free_pgd_range: unhooks every table that covers part of [<paramref name="addr"/>, <paramref name="end"/>),
    /// lies wholly inside [<paramref name="floor"/>, <paramref name="ceiling"/>) and is empty, lowest level
    /// first, so an emptied PTE page takes its emptied PMD and PUD tables with it. The PGD stays.
    /// The unhooked tables' frames are appended to <paramref name="unhooked"/>; the caller frees them
    /// after the TLB flush. A <paramref name="ceiling"/> of zero means no ceiling (USER_PGTABLES_CEILING).
    /// Returns the number of tables unhooked.
    /// </summary>
    /// <remarks>
    /// mm/memory.c free_pgd_range: floor is the end of the previous VMA and ceiling the start of the
    /// next one, so no table another VMA may still use is freed. A PTE page inside floor..ceiling that
    /// still maps something is a model bug (PTEs outside every VMA).
    /// </remarks>
    public int FreePgdRange(VirtAddr addr, VirtAddr end, VirtAddr floor, VirtAddr ceiling, List<Pfn> unhooked)
    {
        ArgumentNullException.ThrowIfNull(unhooked);
        Bug.On(end < addr || floor > addr, "FreePgdRange: bad bounds");
        Bug.On(ceiling.Value != 0 && ceiling < end, "FreePgdRange: ceiling below end");
        var bounds = new FreeBounds(addr.Value, end.Value, floor.Value, ceiling.Value == 0 ? ulong.MaxValue : ceiling.Value);
        int before = unhooked.Count;
        for (int g = PageGeometry.PgdIndex(bounds.Addr); g <= LastIndex(bounds, PageGeometry.PgdirShift); g++)
        {
            PudTable? pud = _pgd.Get(g);
            ulong span = (ulong)g << PageGeometry.PgdirShift;
            if (pud is not null && FreePudTable(pud, span, bounds, unhooked))
            {
                _pgd.Set(g, null);
                _pgd.Used--;
            }
        }

        return unhooked.Count - before;
    }

    /// <summary>
    /// Teardown at exit (free_pgtables over everything, then pgd_free): unhooks every table including
    /// the PGD and appends their frames to <paramref name="unhooked"/>. Every PTE must be none by now.
    /// </summary>
    public int FreeAll(List<Pfn> unhooked)
    {
        ArgumentNullException.ThrowIfNull(unhooked);
        Bug.On(MappedPteCount != 0, "FreeAll: PTEs still mapped; zap first");
        int count = FreePgdRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax), VirtAddr.Zero, VirtAddr.Zero, unhooked);
        Bug.On(PtePageCount != 0 || UpperTableCount != 0, "FreeAll: tables left after free_pgd_range");
        unhooked.Add(_pgd.Pfn);
        IsFreed = true;
        return count + 1;
    }

    private bool FreePudTable(PudTable pud, ulong spanStart, in FreeBounds bounds, List<Pfn> unhooked)
    {
        int first = spanStart < bounds.Addr ? PageGeometry.PudIndex(bounds.Addr) : 0;
        int last = Math.Min(LastIndexWithin(bounds, spanStart, PageGeometry.PgdirShift, PageGeometry.PudShift), PageGeometry.PtrsPerTable - 1);
        for (int u = first; u <= last; u++)
        {
            PmdTable? pmd = pud.Get(u);
            ulong span = spanStart + ((ulong)u << PageGeometry.PudShift);
            if (pmd is not null && FreePmdTable(pmd, span, bounds, unhooked))
            {
                pud.Set(u, null);
                pud.Used--;
            }
        }

        return TryUnhook(pud.Used, pud.Pfn, spanStart, PageGeometry.PgdirSize, bounds, unhooked);
    }

    private bool FreePmdTable(PmdTable pmd, ulong spanStart, in FreeBounds bounds, List<Pfn> unhooked)
    {
        int first = spanStart < bounds.Addr ? PageGeometry.PmdIndex(bounds.Addr) : 0;
        int last = Math.Min(LastIndexWithin(bounds, spanStart, PageGeometry.PudShift, PageGeometry.PmdShift), PageGeometry.PtrsPerTable - 1);
        for (int m = first; m <= last; m++)
        {
            PtePage? pte = pmd.Get(m);
            ulong span = spanStart + ((ulong)m << PageGeometry.PmdShift);
            if (pte is null || !bounds.Covers(span, PageGeometry.PmdSize))
            {
                continue;
            }

            Bug.On(pte.Used != 0, "FreePgdRange: PTE page between floor and ceiling still maps pages");
            pmd.Set(m, null);
            pmd.Used--;
            PtePageCount--;
            unhooked.Add(pte.Pfn);
        }

        return TryUnhook(pmd.Used, pmd.Pfn, spanStart, PageGeometry.PudSize, bounds, unhooked);
    }

    private bool TryUnhook(int used, Pfn pfn, ulong spanStart, ulong spanSize, in FreeBounds bounds, List<Pfn> unhooked)
    {
        if (used != 0 || !bounds.Covers(spanStart, spanSize))
        {
            return false;
        }

        UpperTableCount--;
        unhooked.Add(pfn);
        return true;
    }

    private static int LastIndex(in FreeBounds bounds, int shift) =>
        bounds.End == bounds.Addr ? -1 : (int)(((bounds.End - 1) >> shift) & (PageGeometry.PtrsPerTable - 1));

    /// <summary>The last child index of a table at <paramref name="spanStart"/> that [Addr, End) reaches.</summary>
    private static int LastIndexWithin(in FreeBounds bounds, ulong spanStart, int parentShift, int childShift)
    {
        ulong spanLast = spanStart + ((1UL << parentShift) - 1);
        ulong last = Math.Min(spanLast, bounds.End - 1);
        return bounds.End == bounds.Addr ? -1 : (int)((last - spanStart) >> childShift);
    }

    private void CountPgd(FrameAllocator? frames, ref TableCounts counts)
    {
        CheckTableFrame(frames, _pgd.Pfn);
        int used = 0;
        for (int g = _pgd.First; g < _pgd.End; g++)
        {
            if (_pgd.Get(g) is PudTable pud)
            {
                used++;
                counts.UpperTables++;
                CheckTableFrame(frames, pud.Pfn);
                CountPud(pud, frames, ref counts);
            }
        }

        Bug.On(used != _pgd.Used, "page table: PGD use count drifted");
    }

    private static void CountPud(PudTable pud, FrameAllocator? frames, ref TableCounts counts)
    {
        int used = 0;
        for (int u = pud.First; u < pud.End; u++)
        {
            if (pud.Get(u) is PmdTable pmd)
            {
                used++;
                counts.UpperTables++;
                CheckTableFrame(frames, pmd.Pfn);
                CountPmd(pmd, frames, ref counts);
            }
        }

        Bug.On(used != pud.Used, "page table: PUD use count drifted");
    }

    private static void CountPmd(PmdTable pmd, FrameAllocator? frames, ref TableCounts counts)
    {
        int used = 0;
        for (int m = pmd.First; m < pmd.End; m++)
        {
            if (pmd.Get(m) is not PtePage pte)
            {
                continue;
            }

            used++;
            counts.PtePages++;
            CheckTableFrame(frames, pte.Pfn);
            int mapped = 0;
            for (int i = pte.First; i < pte.End; i++)
            {
                mapped += new Pte(pte.Get(i)).IsNone ? 0 : 1;
            }

            Bug.On(mapped != pte.Used, "page table: PTE page use count drifted");
            counts.MappedPtes += mapped;
        }

        Bug.On(used != pmd.Used, "page table: PMD use count drifted");
    }

    private static void CheckTableFrame(FrameAllocator? frames, Pfn pfn) =>
        Bug.On(frames is not null && frames.Kind(pfn) != FrameKind.PageTable, "page table lives in a frame that is not a page-table frame");

    private struct TableCounts
    {
        public int PtePages;
        public int UpperTables;
        public long MappedPtes;
    }

    /// <summary>The range being unmapped and the floor..ceiling no other VMA uses.</summary>
    private readonly record struct FreeBounds(ulong Addr, ulong End, ulong Floor, ulong Ceiling)
    {
        /// <summary>True when [start, start + size) lies inside [Floor, Ceiling).</summary>
        public bool Covers(ulong start, ulong size) => start >= Floor && start + size - 1 <= Ceiling - 1;
    }
}

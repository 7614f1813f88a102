using PmdTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>;
using PudTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>>;
using PgdTable = ShadowPt.Kernel.DirTable<ShadowPt.Kernel.DirTable<ShadowPt.Kernel.DirTable<ShadowPt.Kernel.PtePage>>>;

namespace ShadowPt.Kernel;

/// <summary>
/// The 4-level page table of one mm (<c>mm-&gt;pgd</c>): PGD, PUD, PMD and PTE tables of 512 entries,
/// each living in a frame of simulated memory. Lower tables are allocated on demand; tables are
/// unhooked by <see cref="FreePgdRange"/> and handed back to the caller, who frees their frames after
/// the TLB shootdown (the mmu_gather rule: unhook, invalidate, then free). Walks are iterative.
/// </summary>
/// <remarks>
/// Follows mm/memory.c: __pte_alloc / __pmd_alloc / __pud_alloc, set_pte_at, ptep_get_and_clear,
/// zap_pte_range (PTEs only; tables stay), free_pgd_range (tables within floor..ceiling). PTEs are
/// 8 bytes in a ulong slot of its PTE page (slots only for the range of indexes used, up to 512), so a
/// mapped page costs about 8 bytes here plus 1/512 of a table.
/// Lock contract (enforced by the memory-subsystem actor, not here): PTE changes under the PTE
/// page's split lock; table allocation and freeing under mmap_lock (and page_table_lock to install).
/// </remarks>
public sealed partial class PageTable
{
    /// <summary>Simulator bytes of one full table: object (40) + array header (24) + 512 eight-byte slots; a table holds slots only for the indexes it used (<see cref="TableSlots{T}"/>).</summary>
    public const int TableBytes = 40 + 24 + (PageGeometry.PtrsPerTable * 8);

    /// <summary>Simulator bytes of a table object and its slot array, without the slots.</summary>
    private const int TableOverheadBytes = 40 + 24;

    /// <summary>The frames that page tables come from.</summary>
    private readonly FrameAllocator _frames;

    /// <summary>The top-level table.</summary>
    private readonly PgdTable _pgd;

    private PageTable(FrameAllocator frames, Pfn pgdPfn)
    {
        _frames = frames;
        _pgd = new PgdTable(pgdPfn);
    }

    /// <summary>The PGD's frame (what CR3 would hold).</summary>
    public Pfn PgdPfn => _pgd.Pfn;

    /// <summary>PTE pages present now.</summary>
    public int PtePageCount { get; private set; }

    /// <summary>PUD and PMD tables present now.</summary>
    public int UpperTableCount { get; private set; }

    /// <summary>Non-none PTEs now.</summary>
    public long MappedPteCount { get; private set; }

    /// <summary>True once <see cref="FreeAll"/> ran; the table must not be used afterwards.</summary>
    public bool IsFreed { get; private set; }

    /// <summary>pgd_alloc: a new, empty page table; null when no frame is left for the PGD.</summary>
    public static PageTable? PgdAlloc(FrameAllocator frames, Provenance who)
    {
        ArgumentNullException.ThrowIfNull(frames);
        Pfn? pfn = frames.AllocPage(FrameKind.PageTable, who);
        return pfn is null ? null : new PageTable(frames, pfn.Value);
    }

    /// <summary>Simulator bytes held by the tables (contents of mapped frames excluded).</summary>
    public long MemoryBytes()
    {
        long slots = _pgd.Capacity;
        for (int g = _pgd.First; g < _pgd.End; g++)
        {
            if (_pgd.Get(g) is not PudTable pud)
            {
                continue;
            }

            slots += pud.Capacity;
            for (int u = pud.First; u < pud.End; u++)
            {
                if (pud.Get(u) is not PmdTable pmd)
                {
                    continue;
                }

                slots += pmd.Capacity;
                for (int m = pmd.First; m < pmd.End; m++)
                {
                    slots += pmd.Get(m)?.Capacity ?? 0;
                }
            }
        }

        return ((long)(1 + UpperTableCount + PtePageCount) * TableOverheadBytes) + (slots * sizeof(ulong));
    }

    /// <summary>The entry for <paramref name="address"/> (<c>ptep_get</c> after a walk); none when no table covers it.</summary>
    public Pte GetPte(VirtAddr address)
    {
        PtePage? page = LookupPtePage(address);
        return page is null ? Pte.None : new Pte(page.Get(PageGeometry.PteIndex(address.Value)));
    }

    /// <summary>The PTE page covering <paramref name="address"/>, whose id keys its split lock; null when absent.</summary>
    public PtePageId? PteTableOf(VirtAddr address)
    {
        PtePage? page = LookupPtePage(address);
        return page is null ? null : new PtePageId(page.Pfn);
    }

    /// <summary>
    /// __pte_alloc with the upper levels: makes sure a PTE page covers <paramref name="address"/>,
    /// allocating missing tables. Returns the PTE page's id, or null when memory ran out (VM_FAULT_OOM).
    /// </summary>
    public PtePageId? PteAlloc(VirtAddr address, Provenance who)
    {
        CheckUserAddress(address);
        ulong a = address.Value;
        PudTable? pud = EnsureChild(_pgd, PageGeometry.PgdIndex(a), static pfn => new PudTable(pfn), who);
        PmdTable? pmd = pud is null ? null : EnsureChild(pud, PageGeometry.PudIndex(a), static pfn => new PmdTable(pfn), who);
        PtePage? pte = pmd is null ? null : EnsureChild(pmd, PageGeometry.PmdIndex(a), static pfn => new PtePage(pfn), who);
        return pte is null ? null : new PtePageId(pte.Pfn);
    }

    /// <summary>set_pte_at: writes the entry; the PTE page must exist. Returns the previous entry.</summary>
    public Pte SetPteAt(VirtAddr address, Pte pte)
    {
        PtePage page = LookupPtePage(address) ?? throw Bug.Fail($"SetPteAt: no PTE page for {address}");
        int index = PageGeometry.PteIndex(address.Value);
        var old = new Pte(page.Get(index));
        _frames.Instrumentation?.PteStore(page.Pfn, index, old.Value, pte.Value);
        page.Set(index, pte.Value);
        int delta = (pte.IsNone ? 0 : 1) - (old.IsNone ? 0 : 1);
        page.Used += delta;
        MappedPteCount += delta;
        Bug.On(page.Used < 0 || page.Used > PageGeometry.PtrsPerTable, "SetPteAt: PTE page use count out of range");
        Watcher?.PteChanged(address, old, pte);
        return old;
    }

    /// <summary>ptep_get_and_clear: clears the entry and returns what it held (none when no table).</summary>
    public Pte PtepGetAndClear(VirtAddr address)
    {
        PtePage? page = LookupPtePage(address);
        return page is null ? Pte.None : SetPteAt(address, Pte.None);
    }

    /// <summary>
    /// zap_pte_range over <paramref name="range"/>: clears every non-none entry and appends it to
    /// <paramref name="zapped"/> in address order. Tables stay. Returns the number cleared.
    /// </summary>
    public int ZapPteRange(AddrRange range, List<ZappedPte> zapped)
    {
        ArgumentNullException.ThrowIfNull(zapped);
        CheckUserRange(range);
        int count = 0;
        ulong addr = range.Start.Value;
        ulong end = range.End.Value;
        while (FindPtePage(ref addr, end) is PtePage page)
        {
            ulong tableEnd = Math.Min(NextBoundary(addr, PageGeometry.PmdSize), end);
            for (; addr < tableEnd; addr += PageGeometry.PageSize)
            {
                int index = PageGeometry.PteIndex(addr);
                var old = new Pte(page.Get(index));
                if (!old.IsNone)
                {
                    _frames.Instrumentation?.PteStore(page.Pfn, index, old.Value, 0);
                    page.Set(index, 0);
                    page.Used--;
                    MappedPteCount--;
                    zapped.Add(new ZappedPte(new VirtAddr(addr), old, new PtePageId(page.Pfn)));
                    Watcher?.PteChanged(new VirtAddr(addr), old, Pte.None);
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Every non-none entry in <paramref name="range"/>, in address order. Entries may be rewritten while enumerating; tables must not be freed.</summary>
    public PteEnumerable EnumeratePtes(AddrRange range)
    {
        CheckUserRange(range);
        return new PteEnumerable(this, range);
    }

    /// <summary>Checks use counts against entries, and (when given) that every table frame is a page-table frame.</summary>
    public void AssertInvariants(FrameAllocator? frames = null)
    {
        Bug.On(IsFreed, "page table used after FreeAll");
        var counts = new TableCounts();
        CountPgd(frames, ref counts);
        Bug.On(counts.PtePages != PtePageCount, "page table: PTE page count drifted");
        Bug.On(counts.UpperTables != UpperTableCount, "page table: upper table count drifted");
        Bug.On(counts.MappedPtes != MappedPteCount, "page table: mapped PTE count drifted");
    }

    internal PtePage? FindPtePage(ref ulong addr, ulong end)
    {
        long stepsMax = (long)((end - Math.Min(addr, end)) >> PageGeometry.PmdShift) + 2;
        for (long step = 0; addr < end; step++)
        {
            Bug.On(step > stepsMax, "page table walk did not advance");
            PudTable? pud = _pgd.Get(PageGeometry.PgdIndex(addr));
            if (pud is null)
            {
                addr = NextBoundary(addr, PageGeometry.PgdirSize);
                continue;
            }

            PmdTable? pmd = pud.Get(PageGeometry.PudIndex(addr));
            if (pmd is null)
            {
                addr = NextBoundary(addr, PageGeometry.PudSize);
                continue;
            }

            PtePage? pte = pmd.Get(PageGeometry.PmdIndex(addr));
            if (pte is not null)
            {
                return pte;
            }

            addr = NextBoundary(addr, PageGeometry.PmdSize);
        }

        return null;
    }

    internal static ulong NextBoundary(ulong addr, ulong size) => (addr + size) & ~(size - 1);

    private PtePage? LookupPtePage(VirtAddr address)
    {
        CheckUserAddress(address);
        ulong a = address.Value;
        PmdTable? pmd = _pgd.Get(PageGeometry.PgdIndex(a))?.Get(PageGeometry.PudIndex(a));
        return pmd?.Get(PageGeometry.PmdIndex(a));
    }

    private TChild? EnsureChild<TChild>(DirTable<TChild> parent, int index, Func<Pfn, TChild> create, Provenance who)
        where TChild : class
    {
        TChild? child = parent.Get(index);
        if (child is not null)
        {
            return child;
        }

        Pfn? pfn = _frames.AllocPage(FrameKind.PageTable, who);
        if (pfn is null)
        {
            return null;
        }

        child = create(pfn.Value);
        parent.Set(index, child);
        parent.Used++;
        if (child is PtePage)
        {
            PtePageCount++;
        }
        else
        {
            UpperTableCount++;
        }

        return child;
    }

    private void CheckUserAddress(VirtAddr address)
    {
        Bug.On(IsFreed, "page table used after FreeAll");
        Bug.On(address.Value >= PageGeometry.TaskSizeMax, "page table: address above user space");
    }

    private void CheckUserRange(AddrRange range)
    {
        Bug.On(IsFreed, "page table used after FreeAll");
        Bug.On(range.End.Value > PageGeometry.TaskSizeMax, "page table: range above user space");
    }
}


namespace ShadowPt.Kernel;

/// <summary>A PTE page: 512 entries in one frame of simulated memory.</summary>
internal sealed class PtePage
{
    public PtePage(Pfn pfn) => Pfn = pfn;

    /// <summary>The frame this table lives in; also the key of its split page-table lock.</summary>
    public Pfn Pfn { get; }

    /// <summary>The 512 raw entries.</summary>
    public ulong[] Entries { get; } = new ulong[PageGeometry.PtrsPerTable];

    /// <summary>Entries that are not pte_none.</summary>
    public int Used { get; set; }
}

/// <summary>An upper-level table (PGD, PUD or PMD): 512 pointers to lower tables, one frame.</summary>
internal sealed class DirTable<TChild>
    where TChild : class
{
    public DirTable(Pfn pfn) => Pfn = pfn;

    /// <summary>The frame this table lives in.</summary>
    public Pfn Pfn { get; }

    /// <summary>The 512 entries; null is an empty (pxd_none) entry.</summary>
    public TChild?[] Entries { get; } = new TChild?[PageGeometry.PtrsPerTable];

    /// <summary>Entries that point to a lower table.</summary>
    public int Used { get; set; }
}

/// <summary>The key of a PTE page, for the split page-table lock (<c>pte_lockptr</c>): the table's pfn.</summary>
public readonly record struct PtePageId(Pfn Pfn)
{
    public override string ToString() => "ptepage@" + Pfn;
}

/// <summary>One entry cleared by <see cref="PageTable.ZapPteRange"/>: where, what it held, and in which PTE page.</summary>
public readonly record struct ZappedPte(VirtAddr Address, Pte OldPte, PtePageId Table);

/// <summary>One non-none entry seen by <see cref="PageTable.EnumeratePtes"/>.</summary>
public readonly record struct PteSlot(VirtAddr Address, Pte Pte, PtePageId Table);

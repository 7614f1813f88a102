namespace ShadowPt.Kernel;

/// <summary>
/// The x86-64 4-level paging geometry with 4 KiB pages: sizes, shifts and the user address-space top.
/// </summary>
/// <remarks>
/// Follows arch/x86/include/asm/page_types.h (PAGE_SHIFT), pgtable_64_types.h (PMD_SHIFT, PUD_SHIFT,
/// PGDIR_SHIFT, PTRS_PER_*) and page_64_types.h (TASK_SIZE_MAX). No 5-level paging.
/// </remarks>
public static class PageGeometry
{
    /// <summary>PAGE_SHIFT: log2 of the page size.</summary>
    public const int PageShift = 12;

    /// <summary>PAGE_SIZE in bytes.</summary>
    public const ulong PageSize = 1UL << PageShift;

    /// <summary>PAGE_SIZE as an int, for buffers.</summary>
    public const int PageSizeBytes = 1 << PageShift;

    /// <summary>PAGE_MASK: clears the offset inside a page.</summary>
    public const ulong PageMask = ~(PageSize - 1);

    /// <summary>PTRS_PER_PTE = PTRS_PER_PMD = PTRS_PER_PUD = PTRS_PER_PGD on x86-64.</summary>
    public const int PtrsPerTable = 512;

    /// <summary>Levels of the page table walk: PGD, PUD, PMD, PTE.</summary>
    public const int PageTableLevels = 4;

    /// <summary>PMD_SHIFT: one PMD entry maps 2 MiB.</summary>
    public const int PmdShift = 21;

    /// <summary>PUD_SHIFT: one PUD entry maps 1 GiB.</summary>
    public const int PudShift = 30;

    /// <summary>PGDIR_SHIFT: one PGD entry maps 512 GiB.</summary>
    public const int PgdirShift = 39;

    /// <summary>PMD_SIZE in bytes: the span one PTE page covers.</summary>
    public const ulong PmdSize = 1UL << PmdShift;

    /// <summary>PUD_SIZE in bytes: the span one PMD table covers.</summary>
    public const ulong PudSize = 1UL << PudShift;

    /// <summary>PGDIR_SIZE in bytes: the span one PUD table covers.</summary>
    public const ulong PgdirSize = 1UL << PgdirShift;

    /// <summary>TASK_SIZE_MAX = (1 &lt;&lt; 47) - PAGE_SIZE: the end of user space (the last page is a guard).</summary>
    public const ulong TaskSizeMax = (1UL << 47) - PageSize;

    /// <summary>Index of <paramref name="address"/> in the PGD.</summary>
    public static int PgdIndex(ulong address) => (int)((address >> PgdirShift) & (PtrsPerTable - 1));

    /// <summary>Index of <paramref name="address"/> in its PUD table.</summary>
    public static int PudIndex(ulong address) => (int)((address >> PudShift) & (PtrsPerTable - 1));

    /// <summary>Index of <paramref name="address"/> in its PMD table.</summary>
    public static int PmdIndex(ulong address) => (int)((address >> PmdShift) & (PtrsPerTable - 1));

    /// <summary>Index of <paramref name="address"/> in its PTE page.</summary>
    public static int PteIndex(ulong address) => (int)((address >> PageShift) & (PtrsPerTable - 1));
}

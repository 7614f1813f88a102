namespace ShadowPt.Kernel;

/// <summary>What a frame of simulated physical memory is used for, like the page type flags of struct page.</summary>
public enum FrameKind : byte
{
    /// <summary>On the free list (PageBuddy).</summary>
    Free = 0,

    /// <summary>Never handed out (pfn 0, like firmware-reserved low memory; PageReserved).</summary>
    Reserved,

    /// <summary>The shared zero page (ZERO_PAGE(0), my_zero_pfn): mapped read-only, never counted or freed.</summary>
    ZeroPage,

    /// <summary>An anonymous page (PageAnon).</summary>
    Anon,

    /// <summary>A page-cache page of a file or of shmem.</summary>
    PageCache,

    /// <summary>A page-table page (PGD, PUD, PMD or PTE table; PageTable / ptdesc).</summary>
    PageTable,

    /// <summary>Other kernel memory (for example alloc_pages_exact for a shadow table).</summary>
    Kernel,
}

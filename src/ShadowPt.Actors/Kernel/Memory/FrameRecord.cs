namespace ShadowPt.Kernel;

/// <summary>
/// The per-frame metadata, the model's <c>struct page</c>: 40 bytes in the frame array.
/// Labels are indexes into the allocator's label table so a frame costs no string references.
/// </summary>
internal struct FrameRecord
{
    /// <summary>Step of the last allocation.</summary>
    public long AllocStep;

    /// <summary>Step of the last free, or -1 when never freed.</summary>
    public long FreeStep;

    /// <summary>_refcount: references held (page tables, page cache, kernel users).</summary>
    public int RefCount;

    /// <summary>Number of PTEs mapping the frame (the kernel's _mapcount + 1; zero means unmapped).</summary>
    public int MapCount;

    /// <summary>Label index of the last allocator, or -1.</summary>
    public int AllocWho;

    /// <summary>Label index of the last freer, or -1.</summary>
    public int FreeWho;

    /// <summary>How many times the frame was allocated; tells two lives of one pfn apart.</summary>
    public int Generation;

    /// <summary>What the frame holds now.</summary>
    public FrameKind Kind;
}

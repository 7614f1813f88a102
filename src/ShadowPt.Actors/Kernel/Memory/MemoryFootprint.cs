using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>What the model's memory costs in simulator bytes, against what it maps.</summary>
/// <param name="FrameMetadataBytes">struct page records, contents slots and the free list: what the allocator holds now (frames never handed out cost nothing).</param>
/// <param name="PageTableBytes">Page-table objects of every mm.</param>
/// <param name="VmaBytes">VMA objects and their list slots.</param>
/// <param name="MappedPages">Non-none PTEs over every mm.</param>
public sealed record MemoryFootprint(long FrameMetadataBytes, long PageTableBytes, long VmaBytes, long MappedPages)
{
    /// <summary>Estimated bytes of one VmArea object plus its list slot.</summary>
    public const int VmaBytesEach = 88;

    /// <summary>Total simulator bytes, page contents excluded.</summary>
    public long TotalBytes => FrameMetadataBytes + PageTableBytes + VmaBytes;

    /// <summary>Bytes per mapped 4 KiB page (the goal is at most 64); zero when nothing is mapped.</summary>
    public double BytesPerMappedPage => MappedPages == 0 ? 0 : (double)TotalBytes / MappedPages;

    /// <summary>Adds up the footprint of a machine's frames and the given address spaces.</summary>
    public static MemoryFootprint Measure(FrameAllocator frames, IReadOnlyList<MmStruct> mms)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(mms);
        long tables = 0;
        long vmas = 0;
        long mapped = 0;
        for (int i = 0; i < mms.Count; i++)
        {
            tables += mms[i].Pgd.MemoryBytes();
            vmas += (long)mms[i].Vmas.Count * VmaBytesEach;
            mapped += mms[i].Pgd.MappedPteCount;
        }

        return new MemoryFootprint(frames.MetadataBytes, tables, vmas, mapped);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{BytesPerMappedPage:F1} bytes per mapped page ({TotalBytes} bytes: frames {FrameMetadataBytes}, page tables {PageTableBytes}, vmas {VmaBytes}; {MappedPages} pages)");
}

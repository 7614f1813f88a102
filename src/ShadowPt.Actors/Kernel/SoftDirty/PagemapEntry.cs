using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>
/// One decoded /proc/PID/pagemap entry: present (bit 63) with its pfn, or swapped (bit 62) with its
/// swap type and offset, soft-dirty (55), exclusively mapped (56), uffd-wp (57), file or shared
/// anonymous (61). <see cref="Raw"/> is the 64-bit word as pagemap returns it.
/// </summary>
/// <remarks>Documentation/admin-guide/mm/pagemap.rst; encoding in <see cref="Pagemap"/>.</remarks>
public readonly record struct PagemapEntry(VirtAddr Address, ulong Raw)
{
    public bool Present => (Raw & Pagemap.Present) != 0;

    public bool Swapped => (Raw & Pagemap.Swap) != 0;

    public bool SoftDirty => (Raw & Pagemap.SoftDirty) != 0;

    public bool ExclusivelyMapped => (Raw & Pagemap.MmapExclusive) != 0;

    public bool UffdWp => (Raw & Pagemap.UffdWp) != 0;

    public bool FileOrSharedAnon => (Raw & Pagemap.File) != 0;

    /// <summary>The pfn of a present page (0 when hidden or not present).</summary>
    public ulong Pfn => Present ? Raw & Pagemap.PfnMask : 0;

    /// <summary>The swap type of a swapped page (bits 0-4).</summary>
    public uint SwapType => Swapped ? (uint)(Raw & ((1UL << Pagemap.MaxSwapfilesShift) - 1)) : 0;

    /// <summary>The swap offset of a swapped page (bits 5-54).</summary>
    public ulong SwapOffset => Swapped ? (Raw & Pagemap.PfnMask) >> Pagemap.MaxSwapfilesShift : 0;

    /// <summary>For example <c>0x10002000 present pfn 0x42 soft-dirty exclusive</c>.</summary>
    public override string ToString()
    {
        string what = Present ? string.Create(CultureInfo.InvariantCulture, $"present pfn 0x{Pfn:x}")
            : Swapped ? string.Create(CultureInfo.InvariantCulture, $"swapped type {SwapType} offset 0x{SwapOffset:x}")
            : "none";
        return string.Concat(
            Address.ToString(),
            " ",
            what,
            SoftDirty ? " soft-dirty" : string.Empty,
            ExclusivelyMapped ? " exclusive" : string.Empty,
            UffdWp ? " uffd-wp" : string.Empty,
            FileOrSharedAnon ? " file" : string.Empty);
    }
}

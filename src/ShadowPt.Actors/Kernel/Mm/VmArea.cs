
namespace ShadowPt.Kernel;

/// <summary>
/// A virtual memory area (<c>struct vm_area_struct</c>): a page-aligned range [VmStart, VmEnd) with one
/// set of flags, either anonymous or backed by a file at page offset VmPgoff. Immutable: the VMA
/// operations replace a VMA in its <see cref="VmaTree"/> instead of editing it.
/// </summary>
/// <remarks>
/// include/linux/mm_types.h and include/linux/mm.h (vma_is_anonymous, vm_start_gap, vma_pages,
/// linear_page_index). For private anonymous VMAs vm_pgoff is start &gt;&gt; PAGE_SHIFT, as do_mmap sets it,
/// which keeps neighbours mergeable. AnonVma is an opaque id of the VMA's anon_vma (0 for none).
/// </remarks>
public sealed record VmArea
{
    public VmArea(VirtAddr vmStart, VirtAddr vmEnd, VmFlags vmFlags, ulong vmPgoff, MappedFile? vmFile = null, long anonVma = 0)
    {
        Bug.On(!vmStart.IsPageAligned || !vmEnd.IsPageAligned, "VmArea: bounds must be page aligned");
        Bug.On(vmEnd <= vmStart, "VmArea: empty or inverted range");
        Bug.On(vmEnd.Value > PageGeometry.TaskSizeMax, "VmArea: above user space");
        Bug.On(anonVma < 0, "VmArea: negative anon_vma id");
        VmStart = vmStart;
        VmEnd = vmEnd;
        VmFlags = vmFlags;
        VmPgoff = vmPgoff;
        VmFile = vmFile;
        AnonVma = anonVma;
    }

    /// <summary>vm_start: first address.</summary>
    public VirtAddr VmStart { get; }

    /// <summary>vm_end: first address after the area.</summary>
    public VirtAddr VmEnd { get; }

    /// <summary>vm_flags.</summary>
    public VmFlags VmFlags { get; }

    /// <summary>vm_pgoff: offset of VmStart in the file, in pages (or VmStart &gt;&gt; PAGE_SHIFT for private anonymous).</summary>
    public ulong VmPgoff { get; }

    /// <summary>vm_file, or null for anonymous memory.</summary>
    public MappedFile? VmFile { get; }

    /// <summary>anon_vma id; 0 until the first anonymous page is faulted in (anon_vma_prepare).</summary>
    public long AnonVma { get; }

    /// <summary>The area as a range.</summary>
    public AddrRange Range => new(VmStart, VmEnd);

    /// <summary>vma_pages.</summary>
    public ulong Pages => (VmEnd - VmStart) >> PageGeometry.PageShift;

    /// <summary>vma_is_anonymous: no file (a shared anonymous mapping is a shmem file and is not anonymous).</summary>
    public bool IsAnonymous => VmFile is null;

    /// <summary>vma_is_accessible: any of read, write, exec.</summary>
    public bool IsAccessible => (VmFlags & VmFlagSets.Access) != 0;

    /// <summary>VMA of remap_pfn_range or another driver mapping without struct pages.</summary>
    public bool IsPfnMap => (VmFlags & VmFlags.PfnMap) != 0;

    /// <summary>vm_page_prot: the protection PTEs of this VMA get (vm_get_page_prot).</summary>
    public PgProt PageProt => PgProt.FromVmBits(
        (VmFlags & VmFlags.Read) != 0,
        (VmFlags & VmFlags.Write) != 0,
        (VmFlags & VmFlags.Exec) != 0,
        (VmFlags & VmFlags.Shared) != 0);

    public bool Contains(VirtAddr address) => address >= VmStart && address < VmEnd;

    /// <summary>vm_start_gap: the start less the stack guard gap for a grows-down VMA, clamped at zero.</summary>
    public VirtAddr VmStartGap(ulong stackGuardGapBytes)
    {
        if ((VmFlags & VmFlagSets.StartGap) == 0)
        {
            return VmStart;
        }

        return VmStart.Value > stackGuardGapBytes ? VmStart - stackGuardGapBytes : VirtAddr.Zero;
    }

    /// <summary>linear_page_index: the file page (or anon index) that <paramref name="address"/> maps.</summary>
    public ulong LinearPageIndex(VirtAddr address)
    {
        Bug.On(!Contains(address), "LinearPageIndex: address outside the VMA");
        return VmPgoff + ((address - VmStart) >> PageGeometry.PageShift);
    }

    /// <summary>The same mapping trimmed to [start, end), with vm_pgoff moved to match.</summary>
    public VmArea WithRange(VirtAddr start, VirtAddr end)
    {
        ulong pgoff = start >= VmStart
            ? VmPgoff + ((start - VmStart) >> PageGeometry.PageShift)
            : checked(VmPgoff - ((VmStart - start) >> PageGeometry.PageShift));
        return new VmArea(start, end, VmFlags, pgoff, VmFile, AnonVma);
    }

    /// <summary>The same mapping with new flags.</summary>
    public VmArea WithFlags(VmFlags flags) => new(VmStart, VmEnd, flags, VmPgoff, VmFile, AnonVma);

    /// <summary>The same mapping attached to anon_vma <paramref name="anonVma"/>.</summary>
    public VmArea WithAnonVma(long anonVma) => new(VmStart, VmEnd, VmFlags, VmPgoff, VmFile, anonVma);

    public override string ToString() => $"vma [{VmStart}, {VmEnd}) {VmFlags} pgoff 0x{VmPgoff:x}{(VmFile is null ? string.Empty : " " + VmFile.Path)}";
}

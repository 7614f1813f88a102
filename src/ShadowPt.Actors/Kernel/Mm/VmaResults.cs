namespace ShadowPt.Kernel;

/// <summary>
/// What an unmap removed from the VMA set, for the caller to finish the kernel's way: zap the PTEs
/// of each removed VMA, flush TLBs, free the pages, then free the page tables of <see cref="Span"/>
/// between <see cref="PgtablesFloor"/> and <see cref="PgtablesCeiling"/> (free_pgtables).
/// </summary>
/// <param name="Removed">The removed pieces in address order, with the flags they had.</param>
/// <param name="Span">From the first removed start to the last removed end (empty when nothing was removed).</param>
/// <param name="PgtablesFloor">End of the VMA below, or zero.</param>
/// <param name="PgtablesCeiling">Start of the VMA above, or zero for no ceiling.</param>
public sealed record UnmapPlan(IReadOnlyList<VmArea> Removed, AddrRange Span, VirtAddr PgtablesFloor, VirtAddr PgtablesCeiling)
{
    /// <summary>Nothing was unmapped.</summary>
    public static UnmapPlan Empty { get; } = new(Array.Empty<VmArea>(), default, VirtAddr.Zero, VirtAddr.Zero);

    public bool IsEmpty => Removed.Count == 0;
}

/// <summary>The outcome of munmap (or of the unmap part of brk).</summary>
public sealed record MunmapResult(Errno Error, UnmapPlan Plan);

/// <summary>
/// The outcome of do_mmap: the address (meaningful when <see cref="Error"/> is none), the VMA that
/// now covers it (possibly merged with a neighbour), what MAP_FIXED replaced, and whether the caller
/// should populate the range (MAP_POPULATE or VM_LOCKED).
/// </summary>
public sealed record MmapResult(Errno Error, VirtAddr Address, VmArea? Vma, UnmapPlan Replaced, bool Populate)
{
    public static MmapResult Failed(Errno error) => new(error, VirtAddr.Zero, null, UnmapPlan.Empty, false);
}

/// <summary>One range whose VMA flags changed (mprotect, mlock): the caller changes or populates its PTEs.</summary>
public sealed record VmaFlagChange(AddrRange Range, VmFlags OldFlags, VmFlags NewFlags);

/// <summary>
/// The outcome of mprotect or mlock. Like the kernel, a failure part-way leaves the VMAs before
/// the failing one changed; <see cref="Changes"/> lists them either way.
/// </summary>
public sealed record FlagChangeResult(Errno Error, IReadOnlyList<VmaFlagChange> Changes);

/// <summary>
/// The outcome of brk: the break the call returns (the old one on failure), the unmap plan of a
/// shrink, the range a growth added, and whether the caller should populate it (mlockall future).
/// </summary>
public sealed record BrkResult(VirtAddr Brk, UnmapPlan Shrunk, AddrRange Grown, bool Populate);

/// <summary>The outcome of stack expansion: the (possibly grown) VMA and the range added below it.</summary>
public sealed record ExpandResult(Errno Error, VmArea? Vma, AddrRange Grown);

namespace ShadowPt.Kernel;

/// <summary>The x86-64 page-table entry bits the model uses.</summary>
/// <remarks>
/// arch/x86/include/asm/pgtable_types.h: _PAGE_BIT_PRESENT 0, RW 1, USER 2, PWT 3, PCD 4, ACCESSED 5,
/// DIRTY 6, PSE 7, GLOBAL 8, SOFTW1 9 (= SPECIAL), SOFTW2 10 (= UFFD_WP), SOFTW3 11 (= SOFT_DIRTY), NX 63.
/// For non-present entries PROTNONE aliases GLOBAL, and swap PTEs keep soft-dirty, uffd-wp and the
/// exclusive marker in RW, USER and PWT (_PAGE_SWP_SOFT_DIRTY, _PAGE_SWP_UFFD_WP, _PAGE_SWP_EXCLUSIVE).
/// </remarks>
public static class PteBits
{
    public const ulong Present = 1UL << 0;
    public const ulong Rw = 1UL << 1;
    public const ulong User = 1UL << 2;
    public const ulong Pwt = 1UL << 3;
    public const ulong Pcd = 1UL << 4;
    public const ulong Accessed = 1UL << 5;
    public const ulong Dirty = 1UL << 6;
    public const ulong Pse = 1UL << 7;
    public const ulong Global = 1UL << 8;
    public const ulong Special = 1UL << 9;
    public const ulong UffdWp = 1UL << 10;
    public const ulong SoftDirty = 1UL << 11;
    public const ulong Nx = 1UL << 63;

    /// <summary>_PAGE_PROTNONE: a PROT_NONE mapping (present for the kernel, not for the MMU).</summary>
    public const ulong ProtNone = Global;

    /// <summary>_PAGE_SWP_SOFT_DIRTY: soft-dirty of a swap PTE.</summary>
    public const ulong SwpSoftDirty = Rw;

    /// <summary>_PAGE_SWP_UFFD_WP: uffd-wp of a swap PTE.</summary>
    public const ulong SwpUffdWp = User;

    /// <summary>_PAGE_SWP_EXCLUSIVE: the swapped page was exclusive to this mapping.</summary>
    public const ulong SwpExclusive = Pwt;

    /// <summary>PTE_PFN_MASK: bits 12..51.</summary>
    public const ulong PfnMask = ((1UL << 52) - 1) & ~((1UL << 12) - 1);

    /// <summary>_PAGE_KNL_ERRATUM_MASK: A and D may be set by hardware on a non-present PTE; pte_none ignores them.</summary>
    public const ulong KnlErratumMask = Dirty | Accessed;

    /// <summary>_PAGE_CHG_MASK: the bits pte_modify keeps (pfn, caching, special, accessed, dirty, soft-dirty, uffd-wp).</summary>
    public const ulong ChgMask = PfnMask | Pcd | Pwt | Special | Accessed | Dirty | SoftDirty | UffdWp;
}

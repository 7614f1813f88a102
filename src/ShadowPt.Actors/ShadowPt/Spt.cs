namespace ShadowPt.Spt;

/// <summary>The user API of the shadow page table (include/uapi/linux/shadowpt.h of the spec).</summary>
public static class Spt
{
    /// <summary>shadowpt_open.</summary>
    public const int SysShadowptOpen = 462;

    /// <summary>shadowpt_close.</summary>
    public const int SysShadowptClose = 463;

    /// <summary>shadowpt_start.</summary>
    public const int SysShadowptStart = 464;

    /// <summary>shadowpt_stop.</summary>
    public const int SysShadowptStop = 465;

    /// <summary>shadowpt_page_contents.</summary>
    public const int SysShadowptPageContents = 466;

    /// <summary>MAX_SPT_RANGE: 2048 pages of 4 KiB.</summary>
    public const ulong MaxSptRange = 0x800000;

    /// <summary>SPTE_VADDR_ALLOCATED: a VMA covers the page.</summary>
    public const ulong SpteVaddrAllocated = 1;

    /// <summary>SPTE_VADDR_ANONYMOUS: the VMA is anonymous.</summary>
    public const ulong SpteVaddrAnonymous = 2;

    /// <summary>SPTE_PTE_MAPPED: a PTE maps a physical frame.</summary>
    public const ulong SptePteMapped = 4;

    /// <summary>sizeof(struct shadow_pte): vaddr, pfn, state_flags.</summary>
    public const int ShadowPteBytes = 24;

    /// <summary>sizeof(struct user_shadow_pt): start_vaddr, end_vaddr, entries.</summary>
    public const int UserShadowPtBytes = 24;

    public static bool IsVaddrAllocated(ulong state) => (state & SpteVaddrAllocated) != 0;

    public static bool IsVaddrAnonymous(ulong state) => (state & SpteVaddrAnonymous) != 0;

    public static bool IsPteMapped(ulong state) => (state & SptePteMapped) != 0;

    /// <summary>"0x1000 pfn 0x2a4 [allocated anonymous mapped]", the line the spec's inspector prints.</summary>
    public static string Describe(ShadowPte e) =>
        $"0x{e.Vaddr:x} pfn 0x{e.Pfn:x} [{(IsVaddrAllocated(e.StateFlags) ? "allocated" : "-")} {(IsVaddrAnonymous(e.StateFlags) ? "anonymous" : "-")} {(IsPteMapped(e.StateFlags) ? "mapped" : "-")}]";
}

/// <summary>struct shadow_pte: one entry of the table.</summary>
public readonly record struct ShadowPte(ulong Vaddr, ulong Pfn, ulong StateFlags);

namespace ShadowPt.Kernel;

/// <summary>What the core page-table walks do with a swap PTE they meet: zap frees its slot, fork shares it.</summary>
/// <remarks>mm/memory.c zap_nonpresent_ptes (free_swap_and_cache) and copy_nonpresent_pte (swap_duplicate).</remarks>
public static class SwapPtes
{
    /// <summary>zap_nonpresent_ptes: the zapped swap PTE's slot loses a reference. Caller holds the PTE lock.</summary>
    public static void ZapSwapPte(KernelState s, Pte old)
    {
        ArgumentNullException.ThrowIfNull(s);
        Bug.On(!old.IsSwap, "ZapSwapPte: not a swap PTE");
        SwapInfo.Of(s).SwapFree(old.PteToSwpEntry());
    }

    /// <summary>
    /// copy_nonpresent_pte: the child gets the same swap entry (soft-dirty kept, the exclusive marker
    /// dropped in both) and the slot one more reference. Caller holds the source PTE lock.
    /// </summary>
    public static void CopySwapPte(KernelState s, MmStruct src, MmStruct dst, VirtAddr address, Pte pte)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        Bug.On(!pte.IsSwap, "CopySwapPte: not a swap PTE");
        SwapInfo.Of(s).SwapDuplicate(pte.PteToSwpEntry());
        if (pte.IsSwpExclusive)
        {
            pte = new Pte(pte.Value & ~PteBits.SwpExclusive);
            src.Pgd.SetPteAt(address, pte);
        }

        dst.Pgd.SetPteAt(address, pte);
    }
}

namespace ShadowPt.Kernel;

/// <summary>
/// Something told about every PTE write of one page table (set_pte_at, ptep_get_and_clear and
/// zap_pte_range alike): the TLB-coherence checker, through <see cref="KernelState"/>. Called
/// synchronously after the write; it must not change the table.
/// </summary>
internal interface IPteWatcher
{
    void PteChanged(VirtAddr address, Pte old, Pte updated);
}

/// <summary>The page table's watcher, for checkers.</summary>
public sealed partial class PageTable
{
    /// <summary>Told of every PTE write; null when nothing watches.</summary>
    internal IPteWatcher? Watcher { get; set; }
}

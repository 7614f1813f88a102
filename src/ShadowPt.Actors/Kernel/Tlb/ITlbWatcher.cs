namespace ShadowPt.Kernel;

/// <summary>
/// Something told about every translation a <see cref="Tlb"/> caches or drops (fill, replacement,
/// eviction, flush): the TLB-coherence checker, through the CPU's <see cref="KernelContext"/>, keeps an
/// exact mirror of every TLB with it. Called synchronously; it must not change the TLB.
/// </summary>
internal interface ITlbWatcher
{
    void Filled(TlbEntry entry);

    void Dropped(TlbEntry entry);
}

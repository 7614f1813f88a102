namespace ShadowPt.Kernel;

/// <summary>One cached translation: which mm and virtual page, to which frame, with which rights.</summary>
/// <param name="Mm">The address space (the PCID tag).</param>
/// <param name="Vpn">Virtual page number.</param>
/// <param name="Pfn">The frame the page maps to.</param>
/// <param name="Writable">The PTE allowed writes when the entry was filled.</param>
/// <param name="User">The PTE allowed user access when the entry was filled.</param>
public readonly record struct TlbEntry(MmId Mm, ulong Vpn, Pfn Pfn, bool Writable, bool User);

namespace ShadowPt.Kernel;

/// <summary>The simulated machine: CPUs, physical memory, TLB size, and which bug variants are switched on.</summary>
public sealed record MachineConfig
{
    /// <summary>Most CPUs a machine may have (the width of mm_cpumask).</summary>
    public const int CpusMax = CpuMask.CpusMax;

    /// <summary>Most processes a machine may run over its lifetime.</summary>
    public const int TasksMax = 4096;

    public int Cpus { get; init; } = 2;

    /// <summary>Frames of 4 KiB physical memory, the reserved frame and the zero page included.</summary>
    public int Frames { get; init; } = 4096;

    /// <summary>Entries per CPU TLB.</summary>
    public int TlbEntries { get; init; } = 64;

    /// <summary>Bug variants switched on (see the bug zoo); empty for the correct model.</summary>
    public IReadOnlySet<string> Variants { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The custom fault policy of one process (Kernel/FaultPolicy); null for none.</summary>
    public FaultPolicyConfig? FaultPolicy { get; init; }

    /// <summary>The NUMA topology and automatic NUMA balancing (Kernel/Numa); null for one node without balancing.</summary>
    public NumaConfig? Numa { get; init; }

    public bool HasVariant(string name) => Variants.Contains(name);

    /// <summary>Most slots a swap device may have.</summary>
    public const int SwapSlotsMax = 1 << 16;

    /// <summary>Slots (pages) of the machine's one swap device (type 0); 0: no swap configured, as on the reference machine.</summary>
    public int SwapSlots { get; init; }

    /// <summary>CONFIG_MEM_SOFT_DIRTY for every mm of the machine (see <see cref="MmLayout.MemSoftDirty"/>).</summary>
    public bool MemSoftDirty { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Cpus, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Cpus, CpusMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(Frames, FrameAllocator.FramesMin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Frames, FrameAllocator.FramesMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(TlbEntries, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TlbEntries, Tlb.CapacityMax);
        FaultPolicy?.Validate();
        Numa?.Validate(this);
        ArgumentOutOfRangeException.ThrowIfNegative(SwapSlots);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SwapSlots, SwapSlotsMax);
    }
}

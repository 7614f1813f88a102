namespace ShadowPt.Kernel;

/// <summary>
/// The part of a CPU's state other CPUs may read (per_cpu data): what it runs and which mm its TLB
/// holds. The CPU writes it through the memory-subsystem actor; a flush initiator reads it there.
/// </summary>
/// <remarks>arch/x86/mm/tlb.c: cpu_tlbstate.loaded_mm and cpu_tlbstate_shared.is_lazy; per_cpu(current_task, cpu).</remarks>
public sealed class PerCpuState(CpuId cpu)
{
    public CpuId Cpu { get; } = cpu;

    /// <summary>per_cpu(current_task, cpu): the pid running there, 0 for the idle task.</summary>
    public int CurrentPid { get; set; }

    /// <summary>cpu_tlbstate.loaded_mm: the mm whose translations the CPU uses now, or null.</summary>
    public MmId? LoadedMm { get; set; }

    /// <summary>cpu_tlbstate_shared.is_lazy: the idle task borrowed <see cref="LoadedMm"/> (lazy TLB mode).</summary>
    public bool IsLazy { get; set; }
}

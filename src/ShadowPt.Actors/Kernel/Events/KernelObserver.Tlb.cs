using System.Globalization;

namespace ShadowPt.Kernel;

/// <summary>
/// Where something happened in the kernel: the scheduler step, the CPU and task whose kernel path did
/// it (none for the machine's own setup), and the kernel function (a memory operation's name).
/// </summary>
public readonly record struct KernelPlace(long Step, CpuId? Cpu, int Pid, string Function)
{
    /// <summary>Like a frame history's provenance: <c>'cpu0 pid 1 zap_pte_range' at step 40</c>.</summary>
    public override string ToString() => Cpu is CpuId cpu
        ? string.Create(CultureInfo.InvariantCulture, $"'{cpu} pid {Pid} {Function}' at step {Step}")
        : string.Create(CultureInfo.InvariantCulture, $"'{Function}' at step {Step}");
}

/// <summary>A PTE write of <see cref="Mm"/>, with the mm's tlb_gen at that moment: a flush must have a later generation to cover it.</summary>
public sealed record PteChange(MmId Mm, VirtAddr Address, Pte Old, Pte New, long TlbGen, KernelPlace Place);

/// <summary>A translation a CPU's TLB cached or dropped, by the path of task <see cref="Pid"/>.</summary>
public sealed record TlbEntryChange(CpuId Cpu, int Pid, TlbEntry Entry, long Step);

/// <summary>
/// A user access served by a TLB hit, seen at the access itself (in its memory operation), with the PTE as it is then.
/// A struct passed by reference: one comes with every access that hits, and no observer keeps it.
/// </summary>
public readonly record struct TlbHit(CpuId Cpu, TlbEntry Entry, bool Write, Pte Pte, KernelPlace Place);

/// <summary>A CPU's TLB is now up to date with <see cref="TlbGen"/> of <see cref="Mm"/> (cpu_tlbstate.ctxs[].tlb_gen).</summary>
public sealed record TlbGenSeen(CpuId Cpu, MmId Mm, long TlbGen, long Step);

/// <summary>
/// A TLB shootdown of <see cref="Mm"/> (flush_tlb_mm_range): the generation it brings, the range, the
/// CPU that flushes locally and the CPUs it sends the IPI to. Started when the generation is bumped
/// (atomically with reading mm_cpumask), completed when every acknowledgement has arrived.
/// </summary>
public sealed record TlbShootdown(MmId Mm, AddrRange Range, bool FullMm, long TlbGen, CpuId Initiator, IReadOnlyList<CpuId> Targets, KernelPlace Place)
{
    /// <summary>Whether the shootdown flushes <paramref name="address"/>'s page.</summary>
    public bool Covers(VirtAddr address) => FullMm || Range.Contains(address);

    /// <summary>Whether <paramref name="cpu"/> flushes for it (the initiator locally, the targets by IPI).</summary>
    public bool Flushes(CpuId cpu)
    {
        if (cpu == Initiator)
        {
            return true;
        }

        foreach (CpuId target in Targets)
        {
            if (target == cpu)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A frame freed, or a free frame about to be used (<see cref="Operation"/>: read, write, map, get_page...).</summary>
public sealed record FrameUse(Pfn Pfn, Provenance Who, string Operation);

/// <summary>The events of TLB coherence and frame lifetime.</summary>
public abstract partial class KernelObserver
{
    /// <summary>A PTE was written (in the memory actor, inside the operation that wrote it).</summary>
    public virtual void PteChanged(PteChange e)
    {
    }

    /// <summary>A CPU's TLB cached a translation (after the page walk that read it).</summary>
    public virtual void TlbFilled(TlbEntryChange e)
    {
    }

    /// <summary>A CPU's TLB dropped a translation (flush, replacement or eviction).</summary>
    public virtual void TlbDropped(TlbEntryChange e)
    {
    }

    /// <summary>A user access used a cached translation.</summary>
    public virtual void TlbHitUsed(in TlbHit e)
    {
    }

    /// <summary>A CPU's TLB caught up with a flush generation.</summary>
    public virtual void TlbGenUpdated(TlbGenSeen e)
    {
    }

    /// <summary>A shootdown bumped the generation and chose its CPUs (in the memory actor).</summary>
    public virtual void TlbShootdownStarted(TlbShootdown e)
    {
    }

    /// <summary>Every CPU of a shootdown acknowledged: the caller may now free what the PTEs pointed to.</summary>
    public virtual void TlbShootdownCompleted(TlbShootdown e)
    {
    }

    /// <summary>A frame went back to the allocator.</summary>
    public virtual void FrameFreed(FrameUse e)
    {
    }

    /// <summary>A free frame is about to be used; the allocator reports its own use-after-free right after.</summary>
    public virtual void FrameUsedAfterFree(FrameUse e)
    {
    }
}

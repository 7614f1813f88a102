using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>TLB shootdown, x86 style (arch/x86/mm/tlb.c).</summary>
public sealed partial class KernelContext
{
    /// <summary>Per mm, the flush generation this CPU's TLB is known to be up to date with (cpu_tlbstate.ctxs[].tlb_gen).</summary>
    private readonly Dictionary<MmId, long> _localTlbGen = new();

    /// <summary>
    /// flush_tlb_mm_range: the caller changed PTEs of <paramref name="mm"/> in <paramref name="range"/>.
    /// Flushes the local TLB, sends a flush IPI to every other CPU in mm_cpumask (a lazy CPU only when
    /// page tables were freed) and waits for every acknowledgement. Only after this returns may the
    /// caller free the pages the PTEs pointed to (the mmu_gather rule: unhook, invalidate, free).
    /// </summary>
    public async ActorTask FlushTlbMmRange(MmId mm, AddrRange range, bool freedTables)
    {
        bool fullMm = range.Pages > Tlb.SinglePageFlushCeiling;
        CpuId self = Cpu;
        (long gen, int[] targets) = await Mem("flush_tlb_mm_range", s =>
        {
            MmStruct m = s.Mm(mm);
            long g = m.IncTlbGen();
            int[] cpus = m.MmCpumask.Cpus()
                .Where(c => c != self && (freedTables || !s.PerCpu[c.Value].IsLazy))
                .Select(c => c.Value)
                .ToArray();
            s.NoteShootdownStarted(mm, range, fullMm, g, self, cpus);
            return (g, cpus);
        });
        FlushLocal(mm, range, fullMm, gen);
        var acks = new AskAwaitable<TlbFlushAck>[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            RaiseIpiSent(new CpuId(targets[i]));
            acks[i] = Actor.Ask<TlbFlushAck>(Cpus[targets[i]], new FlushTlbIpi(mm, range, fullMm, gen));
        }

        for (int i = 0; i < acks.Length; i++)
        {
            await acks[i];
            RaiseIpiAckReceived(new CpuId(targets[i]));
        }

        NoteShootdownCompleted(mm, range, fullMm, gen, targets);
    }

    /// <summary>flush_tlb_mm: every translation of <paramref name="mm"/> on every CPU.</summary>
    public ActorTask FlushTlbMm(MmId mm, bool freedTables) =>
        FlushTlbMmRange(mm, new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax)), freedTables);

    /// <summary>
    /// flush_tlb_func on this CPU: drop the translations and note the generation. A range flush is
    /// enough only when it is the one flush this CPU is missing (generation n to n + 1); a CPU that
    /// also missed earlier flushes (a lazy CPU skipped by them) flushes the whole mm, or the entries
    /// those flushes removed would survive while its generation says it is up to date.
    /// </summary>
    /// <remarks>arch/x86/mm/tlb.c flush_tlb_func: partial flush only if f->new_tlb_gen == local_tlb_gen + 1.</remarks>
    public void FlushLocal(MmId mm, AddrRange range, bool fullMm, long gen)
    {
        long seen = _localTlbGen.GetValueOrDefault(mm);
        if (fullMm || (gen > seen + 1 && !Config.HasVariant(PartialFlushAfterMissedFlushVariant)))
        {
            Tlb.FlushMm(mm);
        }
        else
        {
            Tlb.FlushRange(mm, range); // gen <= seen: already covered; flushing again is harmless
        }

        if (gen > seen)
        {
            _localTlbGen[mm] = gen;
            NoteTlbGen(mm, gen);
        }
    }

    /// <summary>The flush generation of <paramref name="mm"/> this CPU's TLB is up to date with; null when it never loaded the mm.</summary>
    internal long? LocalTlbGen(MmId mm) => _localTlbGen.TryGetValue(mm, out long gen) ? gen : null;

    /// <summary>switch_mm_irqs_off's check: flush <paramref name="mm"/> when flushes happened while this CPU was not told.</summary>
    internal void SyncTlbGen(MmId mm, long gen)
    {
        if (!_localTlbGen.TryGetValue(mm, out long seen) || seen < gen)
        {
            Tlb.FlushMm(mm);
            _localTlbGen[mm] = gen;
            NoteTlbGen(mm, gen);
        }
    }
}

namespace ShadowPt.Kernel;

/// <summary>The CPU side of the TLB events: fills and drops of this CPU's TLB, its flush generation, completed shootdowns.</summary>
public sealed partial class KernelContext
{
    /// <summary>
    /// Bug variant: flush_tlb_func always trusts a range flush, even when this CPU also missed earlier
    /// flushes (a lazy CPU skipped by them), and then claims the newest generation: the entries those
    /// flushes removed survive on a CPU that believes it is up to date, and it uses them after
    /// switching back. The rule broken is arch/x86/mm/tlb.c's "partial flush only if
    /// f->new_tlb_gen == local_tlb_gen + 1".
    /// </summary>
    public const string PartialFlushAfterMissedFlushVariant = "partial-flush-after-missed-flush";

    /// <summary>Tells observers of every fill and drop of this CPU's TLB.</summary>
    private void WatchTlb(KernelEvents? events)
    {
        if (events is not null)
        {
            Tlb.Watcher = new TlbEvents(this);
        }
    }

    /// <summary>This CPU is now up to date with <paramref name="gen"/> of <paramref name="mm"/>.</summary>
    private void NoteTlbGen(MmId mm, long gen)
    {
        if (Events.HasObservers)
        {
            var e = new TlbGenSeen(Cpu, mm, gen, Actor.Step);
            Events.Raise(e, static (o, x) => o.TlbGenUpdated(x));
        }
    }

    /// <summary>Every CPU acknowledged the shootdown of generation <paramref name="gen"/>.</summary>
    private void NoteShootdownCompleted(MmId mm, AddrRange range, bool fullMm, long gen, int[] targets)
    {
        if (Events.HasObservers)
        {
            var e = new TlbShootdown(mm, range, fullMm, gen, Cpu, Array.ConvertAll(targets, t => new CpuId(t)), new KernelPlace(Actor.Step, Cpu, CurrentPid, "flush_tlb_mm_range"));
            Events.Raise(e, static (o, x) => o.TlbShootdownCompleted(x));
        }
    }

    /// <summary>Raises the TLB's fills and drops with this CPU, its current task and the step.</summary>
    private sealed class TlbEvents(KernelContext k) : ITlbWatcher
    {
        public void Filled(TlbEntry entry)
        {
            if (k.Events.HasObservers)
            {
                var e = new TlbEntryChange(k.Cpu, k.CurrentPid, entry, k.Actor.Step);
                k.Events.Raise(e, static (o, x) => o.TlbFilled(x));
            }
        }

        public void Dropped(TlbEntry entry)
        {
            if (k.Events.HasObservers)
            {
                var e = new TlbEntryChange(k.Cpu, k.CurrentPid, entry, k.Actor.Step);
                k.Events.Raise(e, static (o, x) => o.TlbDropped(x));
            }
        }
    }
}

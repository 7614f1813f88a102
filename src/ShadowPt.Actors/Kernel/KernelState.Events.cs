namespace ShadowPt.Kernel;

/// <summary>
/// The memory side of the kernel event stream: PTE writes, frees, TLB hits and shootdown starts are
/// raised here, inside the memory operation that does them, so checkers see them in the order the
/// memory-subsystem actor runs them. Nothing is raised (and nothing allocated) while no observer is attached.
/// </summary>
public sealed partial class KernelState
{
    private KernelEvents? _events;

    /// <summary>The machine's event stream (set once at boot; null for a bare state without a machine).</summary>
    public KernelEvents? Events
    {
        get => _events;
        internal set
        {
            Bug.On(_events is not null, "kernel state: events set twice");
            _events = value;
            Frames.Watcher = value is null ? null : new FrameEvents(value);
            foreach (MmStruct mm in _mms)
            {
                WatchPageTable(mm);
            }
        }
    }

    /// <summary>The memory operation running now (set by the memory actor around each one), for the places events name.</summary>
    public MemOp? CurrentOp { get; internal set; }

    /// <summary>Where the running operation is: the step, its CPU and task, and <paramref name="function"/> or the operation's name.</summary>
    public KernelPlace Place(string? function = null)
    {
        MemOp? op = CurrentOp;
        return new KernelPlace(Step, op?.Cpu, op?.Pid ?? 0, function ?? op?.What ?? "kernel");
    }

    /// <summary>A user access on <paramref name="cpu"/> is using <paramref name="entry"/>: told to observers with the PTE as it is now.</summary>
    internal void NoteTlbHit(CpuId cpu, TlbEntry entry, bool write)
    {
        if (_events is not { HasObservers: true } events)
        {
            return;
        }

        PageTable pgd = Mm(entry.Mm).Pgd;
        Pte pte = pgd.IsFreed ? Pte.None : pgd.GetPte(VirtAddr.FromVpn(entry.Vpn));
        var e = new TlbHit(cpu, entry, write, pte, Place());
        events.Raise(in e, static (o, in x) => o.TlbHitUsed(in x));
    }

    /// <summary>flush_tlb_mm_range bumped <paramref name="mm"/>'s generation and chose its targets (called inside that operation).</summary>
    internal void NoteShootdownStarted(MmId mm, AddrRange range, bool fullMm, long gen, CpuId initiator, int[] targets)
    {
        if (_events is not { HasObservers: true } events)
        {
            return;
        }

        var e = new TlbShootdown(mm, range, fullMm, gen, initiator, Array.ConvertAll(targets, t => new CpuId(t)), Place());
        events.Raise(e, static (o, x) => o.TlbShootdownStarted(x));
    }

    /// <summary>Tells observers of every PTE write of <paramref name="mm"/>'s page table.</summary>
    private void WatchPageTable(MmStruct mm)
    {
        if (_events is not null)
        {
            mm.Pgd.Watcher = new PteEvents(this, _events, mm);
        }
    }

    /// <summary>Raises <see cref="KernelObserver.PteChanged"/> for one mm.</summary>
    private sealed class PteEvents(KernelState state, KernelEvents events, MmStruct mm) : IPteWatcher
    {
        public void PteChanged(VirtAddr address, Pte old, Pte updated)
        {
            if (!events.HasObservers)
            {
                return;
            }

            var e = new PteChange(mm.Id, address, old, updated, mm.TlbGen, state.Place());
            events.Raise(e, static (o, x) => o.PteChanged(x));
        }
    }

    /// <summary>Raises the frame events.</summary>
    private sealed class FrameEvents(KernelEvents events) : IFrameWatcher
    {
        public void Freed(Pfn pfn, Provenance who)
        {
            if (events.HasObservers)
            {
                var e = new FrameUse(pfn, who, "free");
                events.Raise(e, static (o, x) => o.FrameFreed(x));
            }
        }

        public void UsedAfterFree(Pfn pfn, Provenance who, string operation)
        {
            if (events.HasObservers)
            {
                var e = new FrameUse(pfn, who, operation);
                events.Raise(e, static (o, x) => o.FrameUsedAfterFree(x));
            }
        }
    }
}

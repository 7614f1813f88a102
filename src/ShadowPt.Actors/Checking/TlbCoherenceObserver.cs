using ShadowPt.Actors;
using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// TLB coherence and frame lifetime, the mmu_gather rule checked: unhook the PTE, flush every TLB
/// that may cache it, and only then free the frame. From the kernel's events it mirrors every CPU's
/// TLB, every PTE, each CPU's flush generation and the shootdowns, and reports:
/// <list type="bullet">
/// <item><c>stale-tlb</c>: a CPU uses a cached translation that its PTE no longer allows although a
/// shootdown that had to drop it (started after the PTE changed, covering the page) has completed;
/// and, at quiescent points, a CPU up to date with an mm caching what the PTE does not allow. Using
/// the old translation between the PTE change and the end of the shootdown is allowed.</item>
/// <item><c>free-while-mapped</c>: a frame freed while a PTE still maps it (special PTEs too, which
/// the allocator's map count does not see).</item>
/// <item><c>free-before-flush</c>: a frame freed while a CPU that may still use its TLB translates to it.</item>
/// <item><c>use-after-free</c>: any access to a free frame (user, kernel, inspector), with who
/// mapped, unmapped and freed it and which CPUs still translate to it.</item>
/// </list>
/// Only the first violation is reported. It never changes what the model does.
/// </summary>
public sealed class TlbCoherenceObserver : KernelObserver
{
    /// <summary>The name scenarios use to turn the check on.</summary>
    public const string CheckName = "tlb-coherence";

    public const string StaleTlbKind = "stale-tlb";

    public const string FreeWhileMappedKind = "free-while-mapped";

    public const string FreeBeforeFlushKind = "free-before-flush";

    public const string UseAfterFreeKind = "use-after-free";

    private readonly ActorSystem _system;

    private readonly KernelState _state;

    private readonly TlbMirror _mirror;

    private readonly TlbReports _reports;

    /// <summary>Per mm, translations whose PTE changed and whose flush has not completed yet.</summary>
    private readonly Dictionary<MmId, List<CachedTranslation>> _awaitingFlush = new();

    /// <summary>Shootdowns started and not yet completed.</summary>
    private int _shootdownsInFlight;

    private TlbCoherenceObserver(ActorSystem system, Machine machine)
    {
        _system = system;
        _state = machine.State;
        _mirror = new TlbMirror(machine.Config.Cpus);
        _reports = new TlbReports(_state, _mirror);
        SeedPtes();
    }

    /// <summary>The first violation found, also reported to the run.</summary>
    public Violation? Report { get; private set; }

    /// <summary>
    /// Accesses that used a translation in the window the mmu_gather rule allows (its PTE changed, the
    /// shootdown not yet completed): not violations, counted to show the window is reached.
    /// </summary>
    public long WindowHits { get; private set; }

    /// <summary>The mirror, for tests.</summary>
    internal TlbMirror Mirror => _mirror;

    /// <summary>
    /// Creates the checker for <paramref name="machine"/> (before the run: it learns the PTEs that
    /// exist now, and the TLBs must still be empty), attaches it to the machine's events and, on the
    /// deterministic scheduler, checks the TLBs at every quiescent point.
    /// </summary>
    public static TlbCoherenceObserver Attach(ActorSystem system, Machine machine)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(machine);
        if (system.IsDeterministic && system.Steps != 0)
        {
            throw new InvalidOperationException("the TLB-coherence checker must be attached before the run: it cannot learn what the TLBs cached before");
        }

        var observer = new TlbCoherenceObserver(system, machine);
        machine.Events.Add(observer);
        if (system.IsDeterministic)
        {
            system.AddQuiescentObserver(observer.CheckQuiescent);
        }

        return observer;
    }

    public override void PteChanged(PteChange e)
    {
        ArgumentNullException.ThrowIfNull(e);
        List<CachedTranslation>? invalidated = _mirror.WritePte(e, _reports.Tracks);
        if (invalidated is not null)
        {
            AwaitFlush(e.Mm, invalidated);
        }
    }

    public override void TlbFilled(TlbEntryChange e)
    {
        ArgumentNullException.ThrowIfNull(e);
        CachedTranslation t = _mirror.Fill(e);
        if (t.Invalidation is not null)
        {
            AwaitFlush(e.Entry.Mm, [t]);
        }
    }

    public override void TlbDropped(TlbEntryChange e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _mirror.Drop(e);
    }

    public override void TlbGenUpdated(TlbGenSeen e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _mirror.SeeGen(e.Cpu, e.Mm, e.TlbGen);
    }

    public override void TlbShootdownStarted(TlbShootdown e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _shootdownsInFlight++;
        _mirror.StartShootdown(e);
    }

    /// <summary>Every translation waiting for a flush that this shootdown covers, and started after its PTE changed, had to be dropped by now.</summary>
    public override void TlbShootdownCompleted(TlbShootdown e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Bug.On(_shootdownsInFlight <= 0, "tlb-coherence: a shootdown completed that never started");
        _shootdownsInFlight--;
        if (!_awaitingFlush.TryGetValue(e.Mm, out List<CachedTranslation>? waiting))
        {
            return;
        }

        waiting.RemoveAll(t =>
        {
            if (t.Dropped)
            {
                return true;
            }

            if (t.Invalidation!.TlbGen < e.TlbGen && e.Covers(t.Address))
            {
                t.FlushedBy = e;
                return true;
            }

            return false;
        });
    }

    /// <summary>The access goes through a cached translation: stale if a completed shootdown had to drop it.</summary>
    public override void TlbHitUsed(in TlbHit e)
    {
        CachedTranslation? t = _mirror.Cached(e.Cpu, e.Entry.Mm, e.Entry.Vpn);
        Bug.On(t is null || t.Entry != e.Entry, $"tlb-coherence: {e.Cpu} hits {e.Entry}, which its mirrored TLB does not hold");
        if (t!.FlushedBy is not null && !TlbMirror.Allows(e.Pte, e.Entry, e.Write))
        {
            Fail(StaleTlbKind, _reports.StaleUse(t, in e), e.Place.Step);
        }
        else if (t.Invalidation is not null && t.FlushedBy is null)
        {
            WindowHits++;
        }
    }

    /// <summary>The frame is free now: no PTE may map it, and no CPU that may still use its TLB may translate to it.</summary>
    public override void FrameFreed(FrameUse e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _reports.NoteFree(e);
        if (_mirror.MappersOf(e.Pfn).Count > 0)
        {
            Fail(FreeWhileMappedKind, _reports.FreedWhileMapped(e), e.Who.Step);
        }
        else if (_mirror.CachedForFrame(e.Pfn).Any(t => _mirror.IsLive(t.Cpu, t.Entry.Mm)))
        {
            Fail(FreeBeforeFlushKind, _reports.FreedBeforeFlush(e), e.Who.Step);
        }
    }

    public override void FrameUsedAfterFree(FrameUse e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Fail(UseAfterFreeKind, _reports.UseAfterFree(e), e.Who.Step);
    }

    /// <summary>
    /// The tlb_gen invariant at a quiescent point: a CPU up to date with an mm caches only what the PTEs
    /// allow. Skipped while a path may be between a PTE change and its flush (a shootdown in flight, or
    /// an mmap_lock held or awaited: only a deadlocked path is left there at a quiescent point).
    /// </summary>
    internal void CheckQuiescent()
    {
        if (Report is not null || _shootdownsInFlight > 0 || _state.Mms.Any(m => m.MmapLock.IsLocked || m.MmapLock.Waiters.Count > 0))
        {
            return;
        }

        for (int cpu = 0; cpu < _mirror.Cpus; cpu++)
        {
            // The stale translation with the lowest (mm, page), without sorting (this runs at every quiescent point).
            CachedTranslation? stale = null;
            foreach (CachedTranslation t in _mirror.CachedOn(new CpuId(cpu)))
            {
                if (_mirror.IsLive(t.Cpu, t.Entry.Mm) && !TlbMirror.Allows(_mirror.PteOf(t.Entry.Mm, t.Entry.Vpn), t.Entry, t.Entry.Writable)
                    && (stale is null || (t.Entry.Mm.Value, t.Entry.Vpn).CompareTo((stale.Entry.Mm.Value, stale.Entry.Vpn)) < 0))
                {
                    stale = t;
                }
            }

            if (stale is not null)
            {
                Fail(StaleTlbKind, _reports.StaleAtQuiescence(stale), _system.Steps);
                return;
            }
        }
    }

    private void AwaitFlush(MmId mm, List<CachedTranslation> translations)
    {
        if (!_awaitingFlush.TryGetValue(mm, out List<CachedTranslation>? waiting))
        {
            waiting = new List<CachedTranslation>();
            _awaitingFlush.Add(mm, waiting);
        }

        waiting.AddRange(translations);
    }

    private void Fail(string kind, string text, long step)
    {
        if (Report is not null)
        {
            return;
        }

        Report = new Violation(kind, text, step, _system.Now);
        _system.ReportViolation(Report);
    }

    /// <summary>The PTEs that exist before the run, written as if by the machine's setup.</summary>
    private void SeedPtes()
    {
        var all = new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax));
        foreach (MmStruct mm in _state.Mms.Where(m => !m.IsDead))
        {
            foreach (PteSlot slot in mm.Pgd.EnumeratePtes(all))
            {
                _mirror.WritePte(new PteChange(mm.Id, slot.Address, Pte.None, slot.Pte, mm.TlbGen, new KernelPlace(0, null, 0, "before the run")), _reports.Tracks);
            }
        }
    }
}

using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// Runs a scenario's spec monitors: turns the kernel event stream into <see cref="SpecEvent"/>s (only
/// the kinds some monitor handles are built), adds the scenario-level ones (<see cref="AtQuiescentPoint"/>,
/// <see cref="Announce"/>), delivers each to every monitor in order, and reports the first failed
/// assertion as a <c>safety</c> violation and the first monitor hot for too long, or at the end, as a
/// <c>liveness</c> violation.
/// </summary>
public sealed class SpecMonitors : KernelObserver
{
    /// <summary>Most monitors one run may have.</summary>
    public const int MonitorsMax = 32;

    public const string SafetyKind = "safety";

    public const string LivenessKind = "liveness";

    private readonly ActorSystem _system;

    private readonly List<SpecMonitor> _monitors;

    /// <summary>Event types some monitor handles: only those are built (a lookup per kernel event would cost more than the event).</summary>
    private readonly bool _syscallsEntered;

    private readonly bool _syscallsReturned;

    private readonly bool _userAccesses;

    private readonly bool _locks;

    private readonly bool _ipis;

    private readonly bool _words;

    /// <summary>Serialises deliveries (kernel events come from several threads on the threaded scheduler).</summary>
    private readonly Lock _sync = new();

    /// <summary>Runs <paramref name="monitors"/> (each started) on <paramref name="events"/>, which it observes from now on.</summary>
    public SpecMonitors(ActorSystem system, KernelEvents events, IEnumerable<SpecMonitor> monitors)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(monitors);
        _system = system;
        _monitors = [.. monitors];
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_monitors.Count, MonitorsMax);
        foreach (SpecMonitor m in _monitors)
        {
            _ = m.CurrentState; // started
        }

        HashSet<Type> wanted = _monitors.SelectMany(m => m.HandledEvents).ToHashSet();
        bool Wants(Type type) => wanted.Any(w => w.IsAssignableFrom(type));
        _syscallsEntered = Wants(typeof(SyscallEntered));
        _syscallsReturned = Wants(typeof(SyscallReturned));
        _userAccesses = Wants(typeof(UserAccessed));
        _locks = Wants(typeof(LockChanged));
        _ipis = Wants(typeof(TlbShootdownIpi));
        _words = Wants(typeof(WordAccessed));
        events.Add(this);
    }

    public IReadOnlyList<SpecMonitor> Monitors => _monitors;

    /// <summary>The first violation a monitor caused, or null.</summary>
    public Violation? Violation { get; private set; }

    /// <summary>Delivers a scenario-level event (Coyote's <c>Monitor&lt;T&gt;(e)</c>): from scenario code or an actor.</summary>
    public void Announce(SpecEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Dispatch(e);
    }

    /// <summary>The run is quiescent: monitors that handle <see cref="QuiescentPoint"/> may read <paramref name="state"/>.</summary>
    public void AtQuiescentPoint(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Dispatch(new QuiescentPoint(state) { Step = _system.Steps, Tick = _system.Now });
    }

    /// <summary>The run ended: a monitor left in a hot state is a liveness violation (null when none is, or one was already reported).</summary>
    public Violation? AtEnd()
    {
        lock (_sync)
        {
            if (Violation is not null)
            {
                return null;
            }

            SpecMonitor? hot = _monitors.FirstOrDefault(m => m.CurrentState.IsHot);
            if (hot is null)
            {
                return null;
            }

            Violation = new Violation(LivenessKind, LivenessText(hot, "at the end of program execution"), _system.Steps, _system.Now);
            return Violation;
        }
    }

    public override void UserOpStarted(in UserOpEvent e)
    {
        if (e.Op is SyscallOp s && _syscallsEntered)
        {
            Dispatch(new SyscallEntered(e.Cpu, e.Pid, s.Call) { Step = e.Step, Tick = e.Tick });
        }
    }

    public override void UserOpDone(in UserOpEvent e)
    {
        UserResult r = e.Result!;
        // Step and tick set as each event is made (a `with` afterwards would copy it).
        SpecEvent? spec = e.Op switch
        {
            SyscallOp s when _syscallsReturned => new SyscallReturned(e.Cpu, e.Pid, s.Call, r.Ret, r.Killed) { Step = e.Step, Tick = e.Tick },
            AccessOp a when _userAccesses => new UserAccessed(e.Cpu, e.Pid, a.Address, a.Write, a.Write ? a.Value : r.Value, r.Segv, r.Killed) { Step = e.Step, Tick = e.Tick },
            WordAccessOp w when _userAccesses => new UserAccessed(e.Cpu, e.Pid, w.Address, w.Write, w.Write ? w.Value : r.Word, r.Segv, r.Killed) { Step = e.Step, Tick = e.Tick },
            _ => null,
        };
        if (spec is not null)
        {
            Dispatch(spec);
        }
    }

    public override void LockAcquired(LockEvent e) => LockChange(e, released: false);

    public override void LockReleased(LockEvent e) => LockChange(e, released: true);

    public override void IpiSent(in IpiEvent e) => Ipi(e, IpiPhase.Sent);

    public override void IpiReceived(in IpiEvent e) => Ipi(e, IpiPhase.Taken);

    public override void IpiAcked(in IpiEvent e) => Ipi(e, IpiPhase.Acked);

    public override void IpiAckReceived(in IpiEvent e) => Ipi(e, IpiPhase.AckReceived);

    public override void MemoryAccessed(in MemoryAccess access)
    {
        if (_words)
        {
            Dispatch(new WordAccessed(access) { Step = access.Step, Tick = _system.Now });
        }
    }

    private void LockChange(LockEvent e, bool released)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_locks)
        {
            Dispatch(new LockChanged(e, released) { Step = e.Step, Tick = e.Tick });
        }
    }

    private void Ipi(in IpiEvent e, IpiPhase phase)
    {
        if (_ipis)
        {
            Dispatch(new TlbShootdownIpi(e.From, e.To, phase) { Step = e.Step, Tick = e.Tick });
        }
    }

    private void Dispatch(SpecEvent e)
    {
        lock (_sync)
        {
            if (Violation is not null)
            {
                return;
            }

            foreach (SpecMonitor m in _monitors)
            {
                string before = m.CurrentState.Name;
                try
                {
                    m.Deliver(e);
                }
                catch (MonitorAssertionException failed)
                {
                    Report(new Violation(SafetyKind, $"Monitor '{m.Name}' assertion failed in state '{before}' on {e}: {failed.Message}", e.Step, e.Tick));
                    return;
                }

                if (m.CurrentState.IsHot && m.HotStepsMax is long bound && e.Step - m.HotSinceStep > bound)
                {
                    string where = string.Create(CultureInfo.InvariantCulture, $"for more than {bound} steps (hot since step {m.HotSinceStep}, now step {e.Step})");
                    Report(new Violation(LivenessKind, LivenessText(m, where), e.Step, e.Tick));
                    return;
                }
            }
        }
    }

    private void Report(Violation violation)
    {
        Violation = violation;
        _system.ReportViolation(violation);
    }

    private static string LivenessText(SpecMonitor m, string when)
    {
        string obligation = m.DescribeObligation();
        return string.Create(CultureInfo.InvariantCulture, $"Monitor '{m.Name}' detected liveness bug in hot state '{m.CurrentState.Name}' {when}")
            + (obligation.Length > 0 ? ": " + obligation : string.Empty);
    }
}

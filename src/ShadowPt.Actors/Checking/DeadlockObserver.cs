using ShadowPt.Kernel;
using ShadowPt.Runtime;

namespace ShadowPt.Checking;

/// <summary>
/// Deadlock and starvation. At every quiescent point (nothing can be delivered) it builds the wait-for
/// graph of the queued lock requests: a cycle is a deadlock whatever may still happen. When no timer
/// is pending either, the run is over, and any task still waiting for a lock, or any actor still
/// suspended in a handler, is a deadlock too. On every lock acquisition it checks that no other task
/// has waited for that lock more than <see cref="StarvationStepsMax"/> steps (starvation).
/// </summary>
/// <remarks>
/// Reads the kernel state from observer callbacks and quiescent points, so it runs on the
/// deterministic scheduler only, where both happen between deliveries of the memory-subsystem actor.
/// It never changes the model: it reads the lock waits and holders and reports.
/// </remarks>
public sealed class DeadlockObserver : KernelObserver
{
    /// <summary>Violation kind of a deadlock.</summary>
    public const string DeadlockKind = "deadlock";

    /// <summary>Violation kind of starvation.</summary>
    public const string StarvationKind = "starvation";

    /// <summary>
    /// Default bound on the steps a task may wait for a lock that others keep taking. The locks hand
    /// over in FIFO order, so in the correct model a wait lasts as long as the critical sections queued
    /// ahead of it: at most 41 steps over 400 runs of the busy 4-CPU scenario (random and PCT), far below this.
    /// </summary>
    public const long StarvationStepsMaxDefault = 10_000;

    private readonly ActorSystem _system;
    private readonly KernelState _state;
    private readonly TaskLockTracker _tracker = new();

    public DeadlockObserver(ActorSystem system, KernelState state, long starvationStepsMax = StarvationStepsMaxDefault)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(starvationStepsMax);
        if (!system.IsDeterministic)
        {
            throw new ArgumentException("the deadlock checker needs the deterministic scheduler", nameof(system));
        }

        _system = system;
        _state = state;
        StarvationStepsMax = starvationStepsMax;
    }

    /// <summary>Steps a task may wait for a lock while others take it before starvation is reported.</summary>
    public long StarvationStepsMax { get; }

    /// <summary>The first report, also reported to the run as a violation.</summary>
    public LockReport? Report { get; private set; }

    /// <summary>What the lock events said about each task.</summary>
    public TaskLockTracker Tracker => _tracker;

    /// <summary>A checker on <paramref name="events"/> and at every quiescent point of <paramref name="system"/>.</summary>
    public static DeadlockObserver Attach(ActorSystem system, KernelEvents events, KernelState state, long starvationStepsMax = StarvationStepsMaxDefault)
    {
        ArgumentNullException.ThrowIfNull(events);
        var observer = new DeadlockObserver(system, state, starvationStepsMax);
        events.Add(observer);
        system.AddQuiescentObserver(observer.OnQuiescent);
        return observer;
    }

    public override void LockAcquiring(LockEvent e) => _tracker.OnAcquiring(e);

    public override void LockAcquired(LockEvent e)
    {
        _tracker.OnAcquired(e);
        if (Report is null)
        {
            CheckStarvation(e);
        }
    }

    public override void LockReleased(LockEvent e) => _tracker.OnReleased(e);

    /// <summary>The check of a quiescent point; <paramref name="runOver"/> when no timer is pending either.</summary>
    public LockReport? Check(bool runOver)
    {
        var report = new DeadlockReport(_state, _tracker);
        if (_state.LockWaits.Count > 0)
        {
            var graph = WaitForGraph.Build(_state);
            if (graph.FindCycle() is { } cycle)
            {
                return new LockReport(DeadlockKind, report.Cycle(cycle));
            }

            if (runOver)
            {
                return new LockReport(DeadlockKind, report.Stuck(graph));
            }
        }

        if (runOver && _system.SuspendedActors() is { Count: > 0 } suspended)
        {
            return new LockReport(DeadlockKind, DeadlockReport.Suspended(suspended));
        }

        return null;
    }

    private void OnQuiescent()
    {
        if (Report is not null || (_state.LockWaits.Count == 0 && _system.HasPendingTimers))
        {
            return;
        }

        LockReport? report = Check(!_system.HasPendingTimers);
        if (report is not null)
        {
            Fail(report, _system.Steps, _system.Now);
        }
    }

    /// <summary>After <paramref name="taken"/>: does a task still queued for the same lock wait too long?</summary>
    private void CheckStarvation(LockEvent taken)
    {
        IReadOnlyList<TaskLocks> tasks = _tracker.InPidOrder;
        for (int i = 0; i < tasks.Count; i++)
        {
            TaskLocks t = tasks[i];
            if (t.Pid == taken.Pid || t.Waiting is not LockUse waiting || waiting.Lock != taken.Lock.Lock)
            {
                continue;
            }

            // Still queued (not granted with its reply in flight), and for too long.
            if (_state.LockWaits.Find(waiting.Lock, new LockOwner(t.Pid)) is { } wait && taken.Step - wait.SinceStep > StarvationStepsMax)
            {
                string text = new DeadlockReport(_state, _tracker).Starvation(wait, taken, StarvationStepsMax, t.TakenByOthers);
                Fail(new LockReport(StarvationKind, text), taken.Step, taken.Tick);
                return;
            }
        }
    }

    private void Fail(LockReport report, long step, Ticks tick)
    {
        Report = report;
        _system.ReportViolation(new Violation(report.Kind, report.Text, step, tick));
    }
}

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// Read-only counters of a deterministic scheduler, for strategies that reason about the run rather
/// than only choose (the DPOR explorer: which step posted a message, whether a step touched more than
/// its receiver, where time advanced). Reading them costs nothing on the scheduler's hot path: they
/// are counters it keeps anyway or bumps on rare paths only.
/// </summary>
public sealed class SchedulerProbe
{
    private readonly DeterministicScheduler _scheduler;

    internal SchedulerProbe(DeterministicScheduler scheduler) => _scheduler = scheduler;

    /// <summary>Messages posted so far; a message's sequence number (<see cref="ReadySet.HeadSequence"/>) is the value this had when it was posted.</summary>
    public long MessagesPosted => _scheduler.MessagesPosted;

    /// <summary>System messages posted (stop, death watch) plus actors created and stopped so far: events that change what other actors may receive.</summary>
    public long GlobalEvents => _scheduler.GlobalEvents;

    /// <summary>Times the clock advanced to fire timers, which happens only when nothing else was enabled.</summary>
    public long ClockAdvances => _scheduler.ClockAdvances;
}

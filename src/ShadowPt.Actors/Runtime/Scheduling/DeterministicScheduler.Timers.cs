using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>Simulated time: timers fire only when nothing else can be delivered.</summary>
internal sealed partial class DeterministicScheduler
{
    /// <summary>Pending timers by (due tick, creation order), so that equal due ticks fire in creation order.</summary>
    private readonly PriorityQueue<TimerEntry, (long Due, long Order)> _timers;

    private long _timerOrder;

    /// <summary>Timers neither cancelled nor fired (one-shot) : what timers-max bounds.</summary>
    private int _timersLive;

    public override ICancelable Schedule(long delayTicks, long intervalTicks, ActorCell to, object message, ChannelKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayTicks);
        ArgumentOutOfRangeException.ThrowIfNegative(intervalTicks);
        var entry = new TimerEntry(this, to, message, kind, intervalTicks) { Due = checked(_now.Value + delayTicks) };
        if (_timersLive > _limits.TimersMax)
        {
            Fail(new Violation(Violation.BoundExceeded, $"timers-max {_limits.TimersMax} pending timers reached", _step, _now));
            entry.Cancel();
            return entry;
        }

        _timers.Enqueue(entry, (entry.Due, _timerOrder++));
        return entry;
    }

    /// <summary>Whether a timer may still fire: one neither cancelled nor fired, for an actor that has not stopped.</summary>
    public bool HasPendingTimers
    {
        get
        {
            foreach ((TimerEntry entry, _) in _timers.UnorderedItems)
            {
                if (!entry.IsCancelled && !entry.Target.IsStopped)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Moves time to the earliest pending timer and fires every timer due then; false when none is pending.</summary>
    private bool AdvanceClock()
    {
        while (_timers.TryPeek(out TimerEntry? head, out _) && (head.IsCancelled || head.Target.IsStopped))
        {
            _timers.Dequeue().Cancel();
        }

        if (!_timers.TryPeek(out TimerEntry? first, out _))
        {
            return false;
        }

        if (first.Due > _limits.TicksMax)
        {
            Fail(new Violation(Violation.BoundExceeded, $"ticks-max {_limits.TicksMax} reached by a timer for {first.Target.Path}", _step, _now));
            return false;
        }

        ClockAdvances++;
        if (first.Due > _now.Value)
        {
            _now = new Ticks(first.Due);
            _trace.Add(0x7101_0000_0000_0000UL ^ (ulong)first.Due);
        }

        while (_timers.TryPeek(out TimerEntry? entry, out _) && entry.Due <= _now.Value)
        {
            _timers.Dequeue();
            if (entry.IsCancelled || entry.Target.IsStopped)
            {
                entry.Cancel();
                continue;
            }

            PostFrom(Channel.TimerSenderId, null, entry.Target, entry.Message, null, entry.Kind);
            if (entry.IntervalTicks > 0)
            {
                entry.Due = checked(entry.Due + entry.IntervalTicks);
                _timers.Enqueue(entry, (entry.Due, _timerOrder++));
            }
            else
            {
                entry.Cancel(); // fired: no longer pending
            }
        }

        return true;
    }

    /// <summary>One pending timer.</summary>
    private sealed class TimerEntry : ICancelable
    {
        private readonly DeterministicScheduler _scheduler;

        public TimerEntry(DeterministicScheduler scheduler, ActorCell target, object message, ChannelKind kind, long intervalTicks)
        {
            _scheduler = scheduler;
            Target = target;
            Message = message;
            Kind = kind;
            IntervalTicks = intervalTicks;
            scheduler._timersLive++;
        }

        public ActorCell Target { get; }

        public object Message { get; }

        public ChannelKind Kind { get; }

        public long IntervalTicks { get; }

        public long Due { get; set; }

        public bool IsCancelled { get; private set; }

        public void Cancel()
        {
            if (!IsCancelled)
            {
                IsCancelled = true;
                _scheduler._timersLive--;
            }
        }
    }
}

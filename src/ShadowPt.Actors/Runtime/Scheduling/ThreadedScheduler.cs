using System.Collections.Concurrent;
using System.Diagnostics;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// Runs the same actors with real concurrency on the .NET thread pool, for throughput and stress.
/// Each mailbox is drained by one worker at a time, so an actor still handles one message at a time.
/// Not reproducible: simulated ticks follow the wall clock (<see cref="TickDuration"/> each).
/// </summary>
internal sealed class ThreadedScheduler : Dispatcher
{
    private readonly RuntimeLimits _limits;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Guards <see cref="_prng"/>.</summary>
    private readonly Lock _prngLock = new();

    private readonly Prng _prng;

    /// <summary>The first failure; later ones are dropped.</summary>
    private Violation? _violation;

    private long _deadLetters;

    /// <summary>
    /// Timers not yet fired (one-shot) or cancelled. A System.Threading.Timer nobody references may be
    /// collected (and closed by its finalizer) before it fires, and Context.Delay drops the handle it
    /// gets: without this root a garbage collection at the wrong moment loses the wake-up and leaves
    /// the actor waiting for ever.
    /// </summary>
    private readonly ConcurrentDictionary<WallTimer, byte> _timers = new();

    public ThreadedScheduler(RuntimeLimits limits, ulong seed, int throughput, TimeSpan tickDuration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(throughput);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tickDuration, TimeSpan.Zero);
        _limits = limits;
        _prng = new Prng(seed);
        Throughput = throughput;
        TickDuration = tickDuration;
    }

    /// <summary>Messages one worker turn takes from one mailbox before yielding the thread.</summary>
    public int Throughput { get; }

    public TimeSpan TickDuration { get; }

    public override Ticks Now => new(_clock.Elapsed.Ticks / TickDuration.Ticks);

    public override long Step => 0;

    public Violation? Violation => Volatile.Read(ref _violation);

    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    public override void Attach(ActorCell cell) => cell.Mailbox = new Mailbox(cell, this);

    public override void Detach(ActorCell cell) => CountDeadLetters(cell.Mailbox!.Clear());

    public override void Post(ActorCell? from, ActorCell to, object message, IActorRef? sender, ChannelKind kind)
    {
        if (to.IsStopped)
        {
            Interlocked.Increment(ref _deadLetters);
            return;
        }

        if (!to.Mailbox!.Enqueue(new Envelope(message, sender, 0), kind, _limits.MailboxMessagesMax))
        {
            Fail(new Violation(Violation.BoundExceeded, $"mailbox of {to.Path} exceeded {_limits.MailboxMessagesMax} messages", 0, Now));
        }
    }

    /// <summary>A gate opened or closed: let the worker look again.</summary>
    public override void GateChanged(ActorCell cell, CellGate changed) => cell.Mailbox?.TrySchedule();

    public override ICancelable Schedule(long delayTicks, long intervalTicks, ActorCell to, object message, ChannelKind kind)
    {
        var timer = new WallTimer(_timers);
        TimeSpan due = TickDuration * delayTicks;
        TimeSpan period = intervalTicks > 0 ? TickDuration * intervalTicks : Timeout.InfiniteTimeSpan;
        _timers[timer] = 0; // rooted before it can fire
        timer.Start(
            () =>
            {
                if (intervalTicks <= 0)
                {
                    _timers.TryRemove(timer, out _);
                }

                Post(null, to, message, null, kind);
            },
            due,
            period);
        return timer;
    }

    public override bool ChooseBoolean()
    {
        lock (_prngLock)
        {
            return _prng.NextBool();
        }
    }

    public override int ChooseInteger(int maxExclusive)
    {
        lock (_prngLock)
        {
            return _prng.NextInt(maxExclusive);
        }
    }

    public override void ReportFailure(ActorCell cell, object message, Exception exception)
    {
        Fail(new Violation(exception is IViolationKind kind ? kind.ViolationKind : Violation.ActorException, $"{cell.Path} threw {exception.GetType().Name} handling {message.GetType().Name}: {exception.Message}", 0, Now) { Exception = exception });
        Post(cell, cell, TerminateMessage.Instance, null, ChannelKind.System);
    }

    public void CountDeadLetters(int count) => Interlocked.Add(ref _deadLetters, count);

    public void Fail(Violation violation) => Interlocked.CompareExchange(ref _violation, violation, null);

    /// <summary>A wall-clock timer that can be cancelled; rooted in <paramref name="pending"/> until it fired or was cancelled.</summary>
    private sealed class WallTimer(ConcurrentDictionary<WallTimer, byte> pending) : ICancelable
    {
        private Timer? _timer;
        private volatile bool _cancelled;

        public bool IsCancelled => _cancelled;

        public void Start(Action fire, TimeSpan due, TimeSpan period)
        {
            _timer = new Timer(_ => { if (!_cancelled) { fire(); } }, null, due, period);
        }

        public void Cancel()
        {
            _cancelled = true;
            _timer?.Dispose();
            pending.TryRemove(this, out _);
        }
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Scheduling;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Runtime;

/// <summary>
/// A world of actors, as in Akka.NET: create top-level actors with <see cref="ActorOf"/>, talk to
/// them with Tell and Ask. A deterministic system runs only when told (<see cref="Run"/>), one
/// delivery per step, each step chosen by its strategy; a threaded one runs on the thread pool.
/// </summary>
public sealed class ActorSystem : IDisposable
{
    /// <summary>The cell behind <c>/user</c>, parent of every top-level actor.</summary>
    private readonly ActorCell _guardian;

    /// <summary>Every cell ever created, by id; cells are never reused.</summary>
    private readonly List<ActorCell> _cells = new();

    /// <summary>Guards <see cref="_cells"/> (the threaded scheduler creates actors from many threads).</summary>
    private readonly Lock _cellsLock = new();

    private long _unhandled;
    private long _deadLetters;

    private ActorSystem(string name, RuntimeLimits limits, ILogger? logger, Func<ActorSystem, Dispatcher> dispatcher)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        Name = name;
        Limits = limits;
        Logger = logger ?? NullLogger.Instance;
        Dispatcher = dispatcher(this);
        _guardian = NewCell(null, "user", null);
        _guardian.Start();
    }

    public string Name { get; }

    public RuntimeLimits Limits { get; }

    public ILogger Logger { get; }

    public bool IsDeterministic => Dispatcher is DeterministicScheduler;

    /// <summary>The strategy of a deterministic system; null when threaded.</summary>
    public SchedulingStrategy? Strategy => (Dispatcher as DeterministicScheduler)?.Strategy;

    /// <summary>Deliveries made so far (deterministic); under the threaded scheduler, the sum over mailboxes.</summary>
    public long Steps => Dispatcher is DeterministicScheduler d ? d.Step : SumDelivered();

    public Ticks Now => Dispatcher.Now;

    /// <summary>The first violation of the run, or null.</summary>
    public Violation? Violation => Dispatcher switch
    {
        DeterministicScheduler d => d.Violation,
        ThreadedScheduler t => t.Violation,
        _ => null,
    };

    /// <summary>The trace hash so far as 16 hex digits (deterministic only).</summary>
    public string TraceHash => Deterministic.TraceHashValue.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public ulong TraceHashValue => Deterministic.TraceHashValue;

    /// <summary>Messages sent to stopped actors or dropped at stop.</summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetters) + Dispatcher switch
    {
        DeterministicScheduler d => d.DeadLetters,
        ThreadedScheduler t => t.DeadLetters,
        _ => 0,
    };

    /// <summary>Messages no handler took.</summary>
    public long Unhandled => Interlocked.Read(ref _unhandled);

    /// <summary>Actors created so far, the guardian included.</summary>
    public int ActorCount
    {
        get
        {
            lock (_cellsLock)
            {
                return _cells.Count;
            }
        }
    }

    internal Dispatcher Dispatcher { get; }

    private DeterministicScheduler Deterministic => Dispatcher as DeterministicScheduler
        ?? throw new InvalidOperationException($"actor system '{Name}' is threaded; this needs the deterministic scheduler");

    public static ActorSystem CreateDeterministic(string name, SchedulingStrategy strategy, RuntimeLimits? limits = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        RuntimeLimits l = limits ?? new RuntimeLimits();
        return new ActorSystem(name, l, logger, _ => new DeterministicScheduler(strategy, l, logger ?? NullLogger.Instance));
    }

    public static ActorSystem CreateThreaded(string name, ThreadedOptions? options = null, RuntimeLimits? limits = null, ILogger? logger = null)
    {
        ThreadedOptions o = options ?? new ThreadedOptions();
        RuntimeLimits l = limits ?? new RuntimeLimits();
        return new ActorSystem(name, l, logger, _ => new ThreadedScheduler(l, o.Seed, o.Throughput, o.TickDuration));
    }

    public IActorRef ActorOf(Props props, string? name = null) => _guardian.ActorOf(props, name);

    /// <summary>Stops an actor after the system messages queued before this one.</summary>
    public void Stop(IActorRef actor) => _guardian.Stop(actor);

    /// <summary>
    /// Asks from outside the system. Deterministic: the task completes during a later <see cref="Run"/>.
    /// </summary>
    public Task<T> Ask<T>(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        var promise = new ExternalPromiseRef<T>(target);
        target.Tell(message, promise);
        return promise.Task;
    }

    /// <summary>Ends the run with <paramref name="violation"/> (a checker's verdict); the first violation of a run wins.</summary>
    public void ReportViolation(Violation violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        switch (Dispatcher)
        {
            case DeterministicScheduler d:
                d.Fail(violation);
                break;
            case ThreadedScheduler t:
                t.Fail(violation);
                break;
        }
    }

    /// <summary>
    /// Called each time the deterministic run reaches a quiescent point (nothing ready), before time
    /// advances and at the end: the place for checkers of model invariants. Observers must not send.
    /// </summary>
    public void AddQuiescentObserver(Action observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        DeterministicScheduler d = Deterministic;
        d.QuiescentObserver += observer;
    }

    /// <summary>
    /// Called at every delivery of a deterministic run, before the receiver runs, with the step, the
    /// tick, both paths and the message (an ask's reply unwrapped): for recorders, which must neither
    /// send nor change what they are shown.
    /// </summary>
    public void AddDeliveryObserver(Action<Delivery> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        DeterministicScheduler d = Deterministic;
        d.DeliveryObserver += observer;
    }

    /// <summary>
    /// Whether a timer may still fire (deterministic only). At a quiescent point without one the run is
    /// over: nothing will ever be delivered again unless someone outside the system sends.
    /// </summary>
    public bool HasPendingTimers => Deterministic.HasPendingTimers;

    /// <summary>The paths of the live actors suspended in an async handler now, in creation order (for deadlock checks at quiescent points).</summary>
    public IReadOnlyList<string> SuspendedActors()
    {
        lock (_cellsLock)
        {
            return _cells.Where(c => !c.IsStopped && (c.Gate & CellGate.Awaiting) != 0).Select(c => c.Path).ToArray();
        }
    }

    /// <summary>Runs until nothing is left to deliver or a violation (deterministic only).</summary>
    public RunOutcome Run() => Deterministic.Run(null, long.MaxValue);

    /// <summary>Runs until <paramref name="condition"/> holds, at most <paramref name="stepsBudget"/> deliveries (deterministic only).</summary>
    public RunOutcome RunUntil(Func<bool> condition, long stepsBudget = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return Deterministic.Run(condition, stepsBudget);
    }

    /// <summary>Makes at most <paramref name="count"/> deliveries (deterministic only).</summary>
    public RunOutcome RunSteps(long count) => Deterministic.Run(null, count);

    /// <summary>
    /// Ends a deterministic run: tells the strategy that no delivery will follow, so that a replay
    /// checks it used its whole schedule. A quiescent <see cref="Run"/> is not the end by itself: a
    /// test or the host may send more and run again. Calling it again does no harm.
    /// </summary>
    /// <exception cref="ScheduleDivergedException">A replay ended before its schedule did.</exception>
    public void EndRun()
    {
        DeterministicScheduler d = Deterministic;
        d.Strategy.OnRunEnded(d.ChoicesMade);
    }

    /// <summary>The schedule recorded so far, to save and replay (deterministic only).</summary>
    public Schedule CaptureSchedule(string scenario, string? scenarioHash, ulong seed)
    {
        DeterministicScheduler d = Deterministic;
        return d.CaptureSchedule(scenario, scenarioHash, seed, d.Violation?.Kind ?? "ok");
    }

    /// <summary>Folds a model event into the trace hash, for events that are not deliveries (deterministic only; ignored when threaded).</summary>
    public void AddToTrace(ulong word) => (Dispatcher as DeterministicScheduler)?.AddToTrace(word);

    /// <summary>
    /// Stops every actor (threaded) and ends the system. A deterministic system gives its recording
    /// buffers back for the next run, so capture the schedule before disposing.
    /// </summary>
    public void Dispose()
    {
        if (Dispatcher is DeterministicScheduler deterministic)
        {
            deterministic.Dispose();
            return;
        }

        ActorCell[] cells;
        lock (_cellsLock)
        {
            cells = _cells.ToArray();
        }

        if (Dispatcher is ThreadedScheduler)
        {
            foreach (ActorCell cell in cells)
            {
                if (!cell.IsStopped)
                {
                    Dispatcher.Post(null, cell, TerminateMessage.Instance, null, ChannelKind.System);
                }
            }
        }
    }

    internal ActorCell NewCell(ActorCell? parent, string name, Props? props)
    {
        ActorCell cell;
        lock (_cellsLock)
        {
            if (_cells.Count >= Limits.ActorsMax)
            {
                throw new InvalidOperationException($"actors-max {Limits.ActorsMax} reached creating {parent?.Path}/{name}");
            }

            cell = new ActorCell(this, _cells.Count, parent, name, props);
            _cells.Add(cell);
        }

        Dispatcher.Attach(cell);
        return cell;
    }

    internal void OnStopped(ActorCell cell)
    {
    }

    internal void CountUnhandled(ActorCell cell, object message) => Interlocked.Increment(ref _unhandled);

    internal void CountDeadLetter() => Interlocked.Increment(ref _deadLetters);

    private long SumDelivered()
    {
        lock (_cellsLock)
        {
            return _cells.Sum(c => c.Mailbox?.Delivered ?? 0);
        }
    }
}

/// <summary>Settings of the threaded scheduler.</summary>
public sealed record ThreadedOptions
{
    /// <summary>Messages one worker turn takes from a mailbox.</summary>
    public int Throughput { get; init; } = 64;

    /// <summary>Wall-clock length of one simulated tick.</summary>
    public TimeSpan TickDuration { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Seed of the nondeterministic choices actors ask for.</summary>
    public ulong Seed { get; init; } = 1;
}

using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>
/// Workers increment a shared counter with read-modify-write round trips: with a lock around the
/// update (the correct model) no interleaving loses an update; without it (<c>lost-update</c>) some
/// interleavings do, and the end check reports it. A small stand-in for the kernel paths to come:
/// async code, lock grants as replies, think time in ticks.
/// </summary>
public sealed class CounterScenario(string name, bool locked, int workers, int rounds) : Scenario
{
    /// <summary>Most workers or rounds this scenario accepts.</summary>
    public const int SizeMax = 64;

    /// <summary>The counter's value, shared with the counter actor so the end check can read it.</summary>
    private readonly CounterState _state = new();

    public override string Name => name;

    public override string Summary => locked
        ? $"{workers} workers add to a shared counter {rounds} times each, under a mutex actor (correct: no interleaving loses an update)"
        : $"{workers} workers add to a shared counter {rounds} times each with no lock: some interleavings lose an update";

    public override ulong DefaultSeed => 42;

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, SizeMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rounds, SizeMax);
        CounterState state = _state;
        IActorRef counter = system.ActorOf(Props.Create(() => new Counter(state)), "counter");
        IActorRef? mutex = locked ? system.ActorOf(Props.Create<Mutex>(), "mutex") : null;
        for (int i = 0; i < workers; i++)
        {
            int thinkTicks = 1 + (i % 3);
            IActorRef worker = system.ActorOf(Props.Create(() => new Worker(counter, mutex, rounds, thinkTicks)), $"worker{i}");
            worker.Tell(Worker.Start.Instance, null);
        }
    }

    public override Violation? CheckEnd(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        int expected = workers * rounds;
        int value = _state.Value;
        return value == expected
            ? null
            : new Violation("assertion", $"/user/counter is {value}, expected {expected}: {expected - value} update(s) lost", system.Steps, system.Now);
    }

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        yield return $"counter: {_state.Value} (expected {workers * rounds})";
    }

    /// <summary>Holds the value; answers reads, applies writes.</summary>
    private sealed class Counter : ReceiveActor
    {
        public Counter(CounterState state)
        {
            Receive<Read>(_ => Sender.Tell(new Value(state.Value)));
            Receive<Write>(w =>
            {
                state.Value = w.NewValue;
                Sender.Tell(Done.Instance);
            });
        }
    }

    /// <summary>The value the counter actor owns; read by the end check only after the run.</summary>
    private sealed class CounterState
    {
        public int Value { get; set; }
    }

    /// <summary>A mutex with a FIFO of waiters; a grant is the reply to an Acquire.</summary>
    private sealed class Mutex : ReceiveActor
    {
        private readonly Queue<IActorRef> _waiters = new();
        private bool _held;

        public Mutex()
        {
            Receive<Acquire>(_ =>
            {
                if (_held)
                {
                    _waiters.Enqueue(Sender);
                    return;
                }

                _held = true;
                Sender.Tell(Done.Instance);
            });
            Receive<Release>(_ =>
            {
                if (_waiters.TryDequeue(out IActorRef? next))
                {
                    next.Tell(Done.Instance, Self);
                }
                else
                {
                    _held = false;
                }
            });
        }
    }

    /// <summary>Adds one, <c>rounds</c> times, thinking between rounds.</summary>
    private sealed class Worker : ReceiveActor
    {
        public Worker(IActorRef counter, IActorRef? mutex, int rounds, int thinkTicks)
        {
            ReceiveAsync<Start>(async _ =>
            {
                for (int round = 0; round < rounds; round++)
                {
                    await Increment(counter, mutex);
                    await Context.Delay(thinkTicks);
                }
            });
        }

        /// <summary>Read, add one, write; under the mutex when there is one.</summary>
        private async ActorTask Increment(IActorRef counter, IActorRef? mutex)
        {
            if (mutex is not null)
            {
                await Context.Ask<Done>(mutex, Acquire.Instance);
            }

            Value value = await Context.Ask<Value>(counter, Read.Instance);
            await Context.Ask<Done>(counter, new Write(value.Current + 1));
            mutex?.Tell(Release.Instance, Self);
        }

        /// <summary>Starts the worker.</summary>
        public sealed class Start
        {
            public static Start Instance { get; } = new();
        }
    }

    private sealed class Read
    {
        public static Read Instance { get; } = new();
    }

    private sealed record Value(int Current) : ITraceable
    {
        public ulong TraceFingerprint => (ulong)Current;
    }

    private sealed record Write(int NewValue) : ITraceable
    {
        public ulong TraceFingerprint => (ulong)NewValue;
    }

    private sealed class Done
    {
        public static Done Instance { get; } = new();
    }

    private sealed class Acquire
    {
        public static Acquire Instance { get; } = new();
    }

    private sealed class Release
    {
        public static Release Instance { get; } = new();
    }
}

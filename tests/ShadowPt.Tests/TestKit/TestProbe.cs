using System.Diagnostics;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Tests.TestKit;

/// <summary>
/// An actor that tests talk through, as Akka's <c>TestProbe</c>: pass <see cref="Ref"/> to the actors
/// under test, then expect what they send it. On a deterministic system every expectation drives the
/// run itself, step by step, until the probe has a message, bounded by <see cref="ExpectStepsMax"/>;
/// on a threaded system it blocks, bounded by <see cref="WaitMax"/> (a failure bound, never a sleep).
/// A failed expectation throws <see cref="ExpectationFailedException"/> saying what came instead.
/// </summary>
/// <remarks>
/// A probe is driven from the test's thread. On a deterministic system nothing runs between calls,
/// so messages arrive only while an expectation runs the system (or while the test calls Run itself).
/// </remarks>
public sealed class TestProbe
{
    /// <summary>Default of <see cref="ExpectStepsMax"/>.</summary>
    public const long ExpectStepsMaxDefault = 100_000;

    /// <summary>Messages received and not yet expected, oldest first; guarded by itself (threaded systems fill it from pool threads).</summary>
    private readonly Queue<ReceivedMessage> _inbox = new();

    /// <summary>The actor behind <see cref="Ref"/>; set while <see cref="ActorSystem.ActorOf"/> constructs it.</summary>
    private ProbeActor? _actor;

    /// <summary>The message the last expectation took.</summary>
    private ReceivedMessage? _last;

    /// <summary>Creates the probe actor <c>/user/<paramref name="name"/></c> (default: <c>probe-N</c>, N the system's actor count).</summary>
    public TestProbe(ActorSystem system, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        System = system;
        Name = name ?? string.Create(global::System.Globalization.CultureInfo.InvariantCulture, $"probe-{system.ActorCount}");
        Ref = system.ActorOf(Props.Create(() => new ProbeActor(this)), Name);
        Debug.Assert(_actor is not null, "ActorOf constructs the actor before it returns");
    }

    public ActorSystem System { get; }

    public string Name { get; }

    /// <summary>The probe's actor: give it to the actors under test.</summary>
    public IActorRef Ref { get; }

    /// <summary>Most steps one expectation may run a deterministic system before it fails.</summary>
    public long ExpectStepsMax { get; init; } = ExpectStepsMaxDefault;

    /// <summary>Longest an expectation blocks on a threaded system before it fails; only a failure bound.</summary>
    public TimeSpan WaitMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The test expects the run to have a violation: on a threaded system a violation then does not end
    /// a wait early. A threaded system publishes a violation before the messages that follow from it
    /// (an actor's exception is recorded, then the actor stops), so without this an expectation of
    /// those messages races the violation and fails when the violation wins.
    /// </summary>
    public bool ViolationExpected { get; init; }

    /// <summary>The message the last expectation took.</summary>
    public ReceivedMessage LastReceived => _last ?? throw new InvalidOperationException($"probe '{Name}' has not taken a message yet");

    /// <summary>The sender of the message the last expectation took (Akka's <c>LastSender</c>).</summary>
    public IActorRef Sender => LastReceived.Sender;

    /// <summary>Messages received and not yet taken by an expectation.</summary>
    public int PendingCount
    {
        get
        {
            lock (_inbox)
            {
                return _inbox.Count;
            }
        }
    }

    /// <summary>Takes the next message; it must be a <typeparamref name="T"/> and satisfy <paramref name="predicate"/>.</summary>
    public T ExpectMsg<T>(Func<T, bool>? predicate = null, string? because = null)
    {
        string what = $"{WithArticle(typeof(T).Name)}{Because(because)}";
        ReceivedMessage received = Next(what);
        if (received.Message is not T typed)
        {
            throw Failure($"expected {what} but received {received}");
        }

        if (predicate is not null && !predicate(typed))
        {
            throw Failure($"expected {what} matching the predicate but received {received}");
        }

        return typed;
    }

    /// <summary>Takes the next message; it must equal <paramref name="expected"/>.</summary>
    public T ExpectMsg<T>(T expected)
        where T : notnull
    {
        ReceivedMessage received = Next(expected.ToString() ?? typeof(T).Name);
        return received.Message is T typed && typed.Equals(expected)
            ? typed
            : throw Failure($"expected {expected} but received {received}");
    }

    /// <summary>Takes the next message; it must be <see cref="Terminated"/> for <paramref name="actor"/> (watch it first).</summary>
    public Terminated ExpectTerminated(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return ExpectMsg<Terminated>(t => ReferenceEquals(t.ActorRef, actor), $"for {actor.Path}");
    }

    /// <summary>Takes the next <paramref name="count"/> messages, whatever they are.</summary>
    public IReadOnlyList<object> ReceiveN(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var messages = new object[count];
        for (int i = 0; i < count; i++)
        {
            messages[i] = Next($"message {i + 1} of {count}").Message;
        }

        return messages;
    }

    /// <summary>
    /// Runs the deterministic system to quiescence and asserts that nothing reached the probe.
    /// Fails if the run is not quiescent within <see cref="ExpectStepsMax"/> steps (use
    /// <see cref="ExpectNoMsgWithin"/> for systems that never go quiet, such as periodic timers).
    /// </summary>
    public void ExpectNoMsg() => ExpectNoMsgCore(ExpectStepsMax, quiescenceRequired: true);

    /// <summary>Runs the deterministic system for at most <paramref name="steps"/> steps and asserts that nothing reached the probe.</summary>
    public void ExpectNoMsgWithin(long steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ExpectNoMsgCore(steps, quiescenceRequired: false);
    }

    /// <summary>Sends <paramref name="message"/> to the sender of the last message taken, with the probe as sender.</summary>
    public void Reply(object message) => Sender.Tell(message, Ref);

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with the probe as sender.</summary>
    public void Send(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Tell(message, Ref);
    }

    /// <summary>Sends the last message taken on to <paramref name="target"/>, keeping its original sender.</summary>
    public void Forward(IActorRef target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Tell(LastReceived.Message, LastReceived.Sender);
    }

    /// <summary>The probe watches <paramref name="actor"/>: it will receive <see cref="Terminated"/> when the actor stops.</summary>
    public void Watch(IActorRef actor) => _actor!.WatchFromProbe(actor);

    public void Unwatch(IActorRef actor) => _actor!.UnwatchFromProbe(actor);

    private void Receive(ReceivedMessage received)
    {
        lock (_inbox)
        {
            _inbox.Enqueue(received);
            Monitor.PulseAll(_inbox);
        }
    }

    private bool TryTake(out ReceivedMessage received)
    {
        lock (_inbox)
        {
            if (_inbox.TryDequeue(out ReceivedMessage? next))
            {
                _last = next;
                received = next;
                return true;
            }
        }

        received = null!;
        return false;
    }

    /// <summary>Takes the next message, running or waiting for the system as its kind requires.</summary>
    private ReceivedMessage Next(string what)
    {
        if (TryTake(out ReceivedMessage received))
        {
            return received;
        }

        return System.IsDeterministic ? RunForNext(what) : WaitForNext(what);
    }

    private ReceivedMessage RunForNext(string what)
    {
        long stepStart = System.Steps;
        RunOutcome outcome = System.RunUntil(() => PendingCount > 0, ExpectStepsMax);
        if (outcome == RunOutcome.ConditionMet && TryTake(out ReceivedMessage received))
        {
            return received;
        }

        throw Failure($"expected {what} but {WhyNothing(outcome, stepStart)}");
    }

    private ReceivedMessage WaitForNext(string what)
    {
        // Wakes on every message; the slices only let a violation elsewhere end the wait early.
        TimeSpan slice = TimeSpan.FromMilliseconds(100);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (TryTake(out ReceivedMessage received))
            {
                return received;
            }

            if (!ViolationExpected && System.Violation is { } violation)
            {
                throw Failure($"expected {what} but the run has a violation: {Describe(violation)}");
            }

            TimeSpan left = WaitMax - waited.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw Failure($"expected {what} but nothing came within {WaitMax.TotalSeconds:0.#} s (the failure bound of a threaded expectation)");
            }

            lock (_inbox)
            {
                if (_inbox.Count == 0)
                {
                    Monitor.Wait(_inbox, left < slice ? left : slice);
                }
            }
        }
    }

    private void ExpectNoMsgCore(long stepsMax, bool quiescenceRequired)
    {
        if (!System.IsDeterministic)
        {
            throw new InvalidOperationException(
                $"probe '{Name}': a threaded system has no quiescence to wait for, so ExpectNoMsg cannot tell 'nothing' from 'not yet'; "
                + "use a deterministic system, or expect a message known to come last");
        }

        if (TryTake(out ReceivedMessage early))
        {
            throw Failure($"expected no message but received {early}");
        }

        long stepStart = System.Steps;
        RunOutcome outcome = System.RunUntil(() => PendingCount > 0, stepsMax);
        switch (outcome)
        {
            case RunOutcome.ConditionMet:
                TryTake(out ReceivedMessage received);
                throw Failure($"expected no message but received {received}");
            case RunOutcome.Violation:
            case RunOutcome.StepBudgetUsed when quiescenceRequired:
                throw Failure($"expected no message and quiescence but {WhyNothing(outcome, stepStart)}");
            default:
                return;
        }
    }

    /// <summary>Why a run gave the probe nothing, with where the run stands.</summary>
    private string WhyNothing(RunOutcome outcome, long stepStart)
    {
        string where = $"(step {System.Steps}, tick {System.Now}, {System.Steps - stepStart} steps run by this expectation)";
        return outcome switch
        {
            RunOutcome.Quiescent => $"the system went quiescent with nothing for the probe {where}",
            RunOutcome.StepBudgetUsed => $"nothing came within expect-steps-max {ExpectStepsMax} steps and the system is still busy {where}",
            RunOutcome.Violation => $"the run ended with a violation {where}: {Describe(System.Violation!)}",
            _ => $"the run stopped with {outcome} {where}",
        };
    }

    private static string Describe(Violation violation) => $"{violation.Kind} at step {violation.Step}: {violation.Message}";

    private static string WithArticle(string noun) => ("AEIOU".Contains(noun[0], StringComparison.Ordinal) ? "an " : "a ") + noun;

    private static string Because(string? because) => because is null ? string.Empty : " " + because;

    private ExpectationFailedException Failure(string text) => new($"probe '{Name}' {text}");

    /// <summary>The actor behind a probe: hands everything it receives to the probe.</summary>
    private sealed class ProbeActor : ReceiveActor
    {
        public ProbeActor(TestProbe probe)
        {
            probe._actor = this;
            ReceiveAny(m => probe.Receive(new ReceivedMessage(m, Sender, Context.Step, Context.Now)));
        }

        public void WatchFromProbe(IActorRef actor) => Context.Watch(actor);

        public void UnwatchFromProbe(IActorRef actor) => Context.Unwatch(actor);
    }
}

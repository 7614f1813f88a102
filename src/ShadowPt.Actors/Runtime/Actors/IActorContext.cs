using ShadowPt.Runtime.Async;

namespace ShadowPt.Runtime.Actors;

/// <summary>What an actor can do besides handling messages (Akka's <c>IActorContext</c>), plus the simulator's hooks.</summary>
public interface IActorContext
{
    IActorRef Self { get; }

    /// <summary>The sender of the message being processed, or null when it had none.</summary>
    IActorRef? Sender { get; }

    IActorRef? Parent { get; }

    ActorSystem System { get; }

    /// <summary>The live children, in creation order.</summary>
    IReadOnlyList<IActorRef> Children { get; }

    /// <summary>Simulated time now.</summary>
    Ticks Now { get; }

    /// <summary>The number of deliveries made in this run so far (deterministic mode; 0 when threaded).</summary>
    long Step { get; }

    /// <summary>Log lines that carry step, tick and actor path, never wall-clock time.</summary>
    SimLog Log { get; }

    IActorRef ActorOf(Props props, string? name = null);

    void Stop(IActorRef actor);

    /// <summary>Receive <see cref="Terminated"/> when <paramref name="actor"/> stops (at once if it already has).</summary>
    void Watch(IActorRef actor);

    void Unwatch(IActorRef actor);

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> after <paramref name="delayTicks"/> simulated ticks.</summary>
    ICancelable ScheduleTellOnce(long delayTicks, IActorRef target, object message);

    /// <summary>Sends <paramref name="message"/> every <paramref name="intervalTicks"/> ticks, the first after <paramref name="initialDelayTicks"/>.</summary>
    ICancelable ScheduleTellRepeatedly(long initialDelayTicks, long intervalTicks, IActorRef target, object message);

    /// <summary>Sends a request and suspends the async handler until the reply comes; only replies, system messages and interrupts reach the actor meanwhile.</summary>
    AskAwaitable<TReply> Ask<TReply>(IActorRef target, object message);

    /// <summary>
    /// A scheduling point: the resumption is one more enabled delivery, so the strategy may run any
    /// other enabled deliveries first, or none.
    /// </summary>
    ResumeAwaitable Yield();

    /// <summary>
    /// Suspends the async handler for <paramref name="delayTicks"/> simulated ticks. It is a timer, and
    /// timers fire only when nothing else is ready: <c>Delay(0)</c> resumes once the system is quiescent.
    /// </summary>
    ResumeAwaitable Delay(long delayTicks);

    /// <summary>A nondeterministic boolean chosen by the strategy and recorded in the schedule.</summary>
    bool ChooseBoolean();

    /// <summary>A nondeterministic integer in [0, maxExclusive) chosen by the strategy and recorded in the schedule.</summary>
    int ChooseInteger(int maxExclusive);

    /// <summary>While true, <see cref="IInterrupt"/> messages wait (local_irq_disable / local_irq_enable).</summary>
    bool InterruptsDisabled { get; set; }
}

/// <summary>A scheduled message that can be withdrawn.</summary>
public interface ICancelable
{
    bool IsCancelled { get; }

    void Cancel();
}

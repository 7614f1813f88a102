using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>
/// What runs the actors: the deterministic scheduler or the threaded one. Actors never know which;
/// the cell calls these and nothing else.
/// </summary>
internal abstract class Dispatcher
{
    /// <summary>Simulated time now.</summary>
    public abstract Ticks Now { get; }

    /// <summary>Deliveries made so far (0 where not counted).</summary>
    public abstract long Step { get; }

    /// <summary>Registers a new cell before its actor is constructed.</summary>
    public abstract void Attach(ActorCell cell);

    /// <summary>Drops what is still queued for a stopped cell (counted as dead letters).</summary>
    public abstract void Detach(ActorCell cell);

    /// <summary>Queues a message from <paramref name="from"/> (null: from outside the system) to <paramref name="to"/>.</summary>
    public abstract void Post(ActorCell? from, ActorCell to, object message, IActorRef? sender, ChannelKind kind);

    /// <summary>Called after a cell's gate changed (the flags in <paramref name="changed"/> flipped) so that the scheduler re-evaluates what it may deliver.</summary>
    public abstract void GateChanged(ActorCell cell, CellGate changed);

    /// <summary>Queues <paramref name="message"/> for <paramref name="to"/> after a delay in ticks, optionally repeating.</summary>
    public abstract ICancelable Schedule(long delayTicks, long intervalTicks, ActorCell to, object message, ChannelKind kind);

    public abstract bool ChooseBoolean();

    public abstract int ChooseInteger(int maxExclusive);

    /// <summary>An actor's handler threw: the run fails with this exception.</summary>
    public abstract void ReportFailure(ActorCell cell, object message, Exception exception);
}

using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Strategies;

/// <summary>
/// Chooses at every scheduling point: which enabled delivery happens next, and the value of every
/// nondeterministic boolean or integer the model asks for. The strategy is the run's only source
/// of nondeterminism; its description names its seed so that printing it is enough to reproduce.
/// </summary>
public abstract class SchedulingStrategy
{
    /// <summary>Short name, as on the command line: random, pct, replay.</summary>
    public abstract string Name { get; }

    /// <summary>Name with every parameter, seed included.</summary>
    public abstract string Description { get; }

    /// <summary>Returns the index in <paramref name="ready"/> of the delivery to make; <paramref name="ready"/> is never empty.</summary>
    protected internal abstract int NextDelivery(ReadySet ready, long step);

    protected internal abstract bool NextBoolean(long step);

    /// <summary>Returns a value in [0, <paramref name="maxExclusive"/>).</summary>
    protected internal abstract int NextInteger(int maxExclusive, long step);

    /// <summary>Told when an actor is created (ids are dense, in creation order).</summary>
    protected internal virtual void OnActorCreated(int actorId)
    {
    }

    /// <summary>Told once, when the deterministic scheduler that will ask this strategy is created; systematic explorers read its counters.</summary>
    protected internal virtual void OnAttached(SchedulerProbe probe)
    {
    }

    /// <summary>Told when the run ends; a replay checks here that the whole schedule was used.</summary>
    protected internal virtual void OnRunEnded(long choicesMade)
    {
    }
}

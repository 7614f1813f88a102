using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Scheduling;

/// <summary>A message in flight with the sender its receiver will see and its global send order.</summary>
internal readonly struct Envelope(object message, IActorRef? sender, long sequence)
{
    public object Message { get; } = message;

    public IActorRef? Sender { get; } = sender;

    /// <summary>Position in the system-wide send order; used by strategies that prefer the oldest message.</summary>
    public long Sequence { get; } = sequence;
}

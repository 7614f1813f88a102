namespace ShadowPt.Runtime.Actors;

/// <summary>Delivered to a watcher when a watched actor stopped (Akka's <c>Terminated</c>).</summary>
public sealed record Terminated(IActorRef ActorRef) : ITraceable
{
    public ulong TraceFingerprint => Recording.TraceHash.OfString(ActorRef.Path);
}

/// <summary>A user message that stops its receiver when it is processed, after the messages queued before it.</summary>
public sealed class PoisonPill
{
    public static PoisonPill Instance { get; } = new();

    private PoisonPill()
    {
    }
}

using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Actors;

/// <summary>The reference to an actor of this system.</summary>
internal sealed class LocalActorRef(ActorCell cell) : IActorRef
{
    public ActorCell Cell { get; } = cell;

    public string Path => Cell.Path;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        ChannelKind kind = message is IInterrupt ? ChannelKind.Interrupt : ChannelKind.User;
        Cell.System.Dispatcher.Post(ActorCell.Current, Cell, message, sender, kind);
    }

    public override string ToString() => Path;
}

/// <summary>Akka's <c>ActorRefs.NoSender</c>: replies to it are counted as dead letters.</summary>
internal sealed class NoSenderRef : IActorRef
{
    public string Path => "/deadLetters";

    public void Tell(object message, IActorRef? sender)
    {
    }

    public override string ToString() => Path;
}

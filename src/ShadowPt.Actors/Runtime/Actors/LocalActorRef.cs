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
        Cell.System.Dispatcher.Post(ActorCell.Current, Cell, message, sender, KindOf(message));
    }

    /// <summary>
    /// Akka's <c>Tell(msg)</c>: the current actor of this thread (if any) is the sender. Same as
    /// <c>Tell(message, ActorCell.Current?.Self)</c>, with one thread-static read instead of two.
    /// </summary>
    public void TellFromCurrent(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ActorCell? current = ActorCell.Current;
        Cell.System.Dispatcher.Post(current, Cell, message, current?.Self, KindOf(message));
    }

    public override string ToString() => Path;

    private static ChannelKind KindOf(object message) => message is IInterrupt ? ChannelKind.Interrupt : ChannelKind.User;
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

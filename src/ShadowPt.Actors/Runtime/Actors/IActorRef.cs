namespace ShadowPt.Runtime.Actors;

/// <summary>A handle to an actor, as in Akka.NET: the only way to reach it is to send it a message.</summary>
public interface IActorRef
{
    /// <summary>The actor's path, for example <c>/user/cpu0</c>; unique among live actors of a system.</summary>
    string Path { get; }

    /// <summary>Sends <paramref name="message"/> without waiting. <paramref name="sender"/> is what the receiver sees as <c>Sender</c>.</summary>
    void Tell(object message, IActorRef? sender);
}

/// <summary>Akka-style helpers on <see cref="IActorRef"/>.</summary>
public static class ActorRefExtensions
{
    /// <summary>Sends with the current actor as sender (no sender outside an actor), like Akka's <c>Tell(msg)</c>.</summary>
    public static void Tell(this IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target is LocalActorRef local)
        {
            local.TellFromCurrent(message);
            return;
        }

        target.Tell(message, ActorCell.Current?.Self);
    }

    /// <summary>Sends keeping the current message's sender, like Akka's <c>Forward</c>.</summary>
    public static void Forward(this IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Tell(message, ActorCell.Current?.CurrentSender);
    }
}

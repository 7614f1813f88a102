namespace ShadowPt.Runtime.Actors;

/// <summary>
/// The base of every actor (Akka's <c>ActorBase</c>). An actor handles one message at a time;
/// its state is touched only by its own handlers.
/// </summary>
public abstract class ActorBase
{
    /// <summary>The cell this actor lives in; fixed at construction.</summary>
    private readonly ActorCell _cell;

    protected ActorBase()
    {
        _cell = ActorCell.Constructing
            ?? throw new InvalidOperationException("actors are created by ActorOf(Props), not with new");
    }

    protected IActorContext Context => _cell;

    protected IActorRef Self => _cell.Self;

    /// <summary>The sender of the message being processed; <see cref="ActorCell.NoSender"/> when it had none.</summary>
    protected IActorRef Sender => _cell.CurrentSender ?? ActorCell.NoSender;

    internal ActorCell Cell => _cell;

    /// <summary>Handles <paramref name="message"/>; returns false when it is not handled.</summary>
    protected internal abstract bool Receive(object message);

    /// <summary>
    /// <see cref="Receive(object)"/> for a message whose runtime type the caller already knows (the deterministic
    /// scheduler computes it for the trace hash); <see cref="ReceiveActor"/> uses it to skip a second
    /// <c>GetType</c> per delivery.
    /// </summary>
    internal virtual bool Receive(object message, Type messageType) => Receive(message);

    /// <summary>Runs once, before the first message.</summary>
    protected internal virtual void PreStart()
    {
    }

    /// <summary>Runs once, when the actor stops.</summary>
    protected internal virtual void PostStop()
    {
    }

    /// <summary>Called for a message no handler took. The default counts it in the system's unhandled count.</summary>
    protected internal virtual void Unhandled(object message) => _cell.System.CountUnhandled(_cell, message);
}

using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Actors;

/// <summary>
/// One outstanding ask of an actor. It is the sender the target sees: the target's reply becomes an
/// <see cref="AskReply"/> on the asker's reply channel, and its delivery resumes the awaiting handler.
/// </summary>
internal sealed class PendingAsk(ActorCell owner, long requestId) : IActorRef
{
    /// <summary>The continuation of the awaiting handler, once it suspended: a box or an action (see <see cref="Continuation"/>).</summary>
    private object? _continuation;

    public ActorCell Owner { get; } = owner;

    public long RequestId { get; } = requestId;

    public string Path => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Owner.Path}/$ask{RequestId}");

    public bool IsCompleted { get; private set; }

    public object? Reply { get; private set; }

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        Owner.System.Dispatcher.Post(ActorCell.Current, Owner, new AskReply(this, message), sender, ChannelKind.Reply);
    }

    public void OnCompleted(Action continuation) => OnCompleted((object)continuation);

    /// <summary>Resumes <paramref name="box"/> when the reply arrives.</summary>
    public void OnCompleted(IStateMachineBox box) => OnCompleted((object)box);

    private void OnCompleted(object continuation)
    {
        if (_continuation is not null)
        {
            throw new InvalidOperationException("an ask can be awaited once");
        }

        _continuation = continuation;
    }

    /// <summary>Takes the reply and resumes the awaiting handler; a second reply is a dead letter.</summary>
    public bool Complete(object reply)
    {
        if (IsCompleted)
        {
            return false;
        }

        IsCompleted = true;
        Reply = reply;
        object? continuation = _continuation;
        _continuation = null;
        if (continuation is not null)
        {
            Continuation.Run(continuation);
        }
        return true;
    }

    public override string ToString() => Path;
}

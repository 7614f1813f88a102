using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Scheduling;

namespace ShadowPt.Runtime.Actors;

/// <summary>
/// One outstanding ask of an actor. It is the sender the target sees: the target's reply goes to the
/// asker's reply channel, and its delivery resumes the awaiting handler. The first reply travels as
/// this object itself, which then holds it in <see cref="PostedReply"/>: one object per ask instead of
/// two. Any later reply (a dead letter, unless it overtakes the first) travels in an <see cref="AskReply"/>.
/// Either way the scheduler sees, fingerprints and shows the reply it carries (<see cref="ReplyContent"/>).
/// </summary>
internal sealed class PendingAsk(ActorCell owner, long requestId) : IActorRef
{
    /// <summary>The continuation of the awaiting handler, once it suspended: a box or an action (see <see cref="Continuation"/>).</summary>
    private object? _continuation;

    /// <summary>The first reply told to this ask, carried by this object on the reply channel; set once.</summary>
    private object? _postedReply;

    public ActorCell Owner { get; } = owner;

    public long RequestId { get; } = requestId;

    public string Path => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Owner.Path}/$ask{RequestId}");

    /// <summary>Whether the reply arrived; replies are never null, so no flag of its own.</summary>
    public bool IsCompleted => Reply is not null;

    public object? Reply { get; private set; }

    /// <summary>The first reply told to this ask, once told; what this object carries as a message.</summary>
    public object? PostedReply => _postedReply;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);

        // A compare-exchange: under the threaded scheduler two repliers may race for the first reply.
        object posted = Interlocked.CompareExchange(ref _postedReply, message, null) is null ? this : new AskReply(this, message);
        Owner.System.Dispatcher.Post(ActorCell.Current, Owner, posted, sender, ChannelKind.Reply);
    }

    /// <summary>
    /// What a message that came on a reply channel carries: the reply of an ask (this object or an
    /// <see cref="AskReply"/>), else the message itself (a resumption). A PendingAsk is unwrapped only
    /// there: on other channels it is an ordinary message (an actor may send a reference to one).
    /// </summary>
    public static object ReplyContent(object message) => message switch
    {
        PendingAsk ask => ask.PostedReply!,
        AskReply reply => reply.Message,
        _ => message,
    };

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
        ArgumentNullException.ThrowIfNull(reply);
        if (IsCompleted)
        {
            return false;
        }

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

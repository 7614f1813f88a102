using System.Runtime.CompilerServices;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Runtime.Async;

/// <summary>Awaits the reply to an ask made with <see cref="IActorContext.Ask{TReply}"/>.</summary>
public readonly struct AskAwaitable<TReply> : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly PendingAsk _pending;
    private readonly IActorRef _target;

    internal AskAwaitable(PendingAsk pending, IActorRef target)
    {
        _pending = pending;
        _target = target;
    }

    public bool IsCompleted => _pending.IsCompleted;

    public AskAwaitable<TReply> GetAwaiter() => this;

    public TReply GetResult()
    {
        if (!_pending.IsCompleted)
        {
            throw new InvalidOperationException($"the reply from {_target.Path} has not arrived");
        }

        return _pending.Reply is TReply reply
            ? reply
            : throw new InvalidCastException($"ask to {_target.Path} expected {typeof(TReply).Name} but the reply was {_pending.Reply?.GetType().Name ?? "null"}");
    }

    public void OnCompleted(Action continuation) => _pending.OnCompleted(continuation);

    public void UnsafeOnCompleted(Action continuation) => _pending.OnCompleted(continuation);

    void IBoxAwareAwaiter.OnCompleted(IStateMachineBox box) => _pending.OnCompleted(box);

    /// <summary>Resumes <paramref name="box"/> when the reply arrives (for awaiters that wrap this one).</summary>
    internal void OnCompleted(IStateMachineBox box) => _pending.OnCompleted(box);
}

/// <summary>Awaits a yield (a scheduling point) or a delay in ticks.</summary>
public readonly struct ResumeAwaitable : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly ActorCell _cell;

    /// <summary>Negative for a yield, else the delay in ticks.</summary>
    private readonly long _delayTicks;

    internal ResumeAwaitable(ActorCell cell, long delayTicks)
    {
        _cell = cell;
        _delayTicks = delayTicks;
    }

    /// <summary>Always false: even a zero delay lets other deliveries in.</summary>
    public bool IsCompleted => false;

    public ResumeAwaitable GetAwaiter() => this;

    public void GetResult()
    {
    }

    public void OnCompleted(Action continuation) => _cell.ScheduleResume(continuation, _delayTicks);

    public void UnsafeOnCompleted(Action continuation) => _cell.ScheduleResume(continuation, _delayTicks);

    void IBoxAwareAwaiter.OnCompleted(IStateMachineBox box) => _cell.ScheduleResume(box, _delayTicks);
}

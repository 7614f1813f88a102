using System.Runtime.ExceptionServices;

namespace ShadowPt.Runtime.Async;

/// <summary>
/// The completion state of a suspended <see cref="ActorTask"/>. Completion runs the one waiting
/// continuation synchronously, on the delivery that completed it: no thread pool, no context switch.
/// A source may be pooled (the state-machine boxes of <see cref="ActorTaskMethodBuilder"/> are): its
/// <see cref="Version"/> then changes each time it goes back, and every operation takes the version
/// the task was made with, so a stale copy of a task throws instead of seeing another call's state.
/// </summary>
internal class ActorTaskSource
{
    /// <summary>The continuation of whoever awaits this task, a box or an action (see <see cref="Continuation"/>), or <see cref="DetachedMarker"/>; at most one.</summary>
    private object? _continuation;

    /// <summary>The failure, once faulted.</summary>
    private ExceptionDispatchInfo? _exception;

    private bool _completed;

    /// <summary>Stands for "no awaiter: take the result as soon as it completes" (<see cref="OnCompletedDetached"/>).</summary>
    private static readonly object DetachedMarker = new();

    /// <summary>The version tasks of the current use carry; bumped by <see cref="ResetForReuse"/>.</summary>
    public int Version { get; private set; }

    /// <summary>The next source in a <see cref="SourcePool"/>; null when not pooled.</summary>
    internal ActorTaskSource? PoolNext { get; set; }

    /// <summary>Sources in the pool from this one to the bottom, this one included, while pooled.</summary>
    internal int PoolDepth { get; set; }

    public static ActorTaskSource Faulted(Exception exception)
    {
        var source = new ActorTaskSource();
        source.SetException(exception);
        return source;
    }

    /// <summary>Whether the use of version <paramref name="token"/> completed.</summary>
    public bool IsCompleted(int token)
    {
        CheckToken(token);
        return _completed;
    }

    /// <summary>Runs <paramref name="continuation"/>, a box or an action, when this completes (at once if it has).</summary>
    public void OnCompleted(object continuation, int token)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        CheckToken(token);
        if (_completed)
        {
            Continuation.Run(continuation);
            return;
        }

        if (_continuation is not null)
        {
            throw new InvalidOperationException("an ActorTask can be awaited once");
        }

        _continuation = continuation;
    }

    /// <summary>
    /// Takes the result as soon as this completes, with no awaiter: a fault then propagates from the
    /// delivery that completed it. Saves the delegate a detached task would otherwise need.
    /// </summary>
    public void OnCompletedDetached(int token) => OnCompleted(DetachedMarker, token);

    /// <summary>Takes the outcome of a completed use: throws its fault; a pooled source goes back to its pool.</summary>
    public void GetResult(int token)
    {
        ExceptionDispatchInfo? exception = TakeOutcome(token);
        Release();
        exception?.Throw();
    }

    public void SetException(Exception exception)
    {
        _exception = ExceptionDispatchInfo.Capture(exception);
        Complete();
    }

    public void SetResult() => Complete();

    /// <summary>Checks <paramref name="token"/> and completion and returns the fault, if any, before the source is released.</summary>
    protected ExceptionDispatchInfo? TakeOutcome(int token)
    {
        CheckToken(token);
        if (!_completed)
        {
            throw new InvalidOperationException("the result of an ActorTask was taken before it completed");
        }

        return _exception;
    }

    protected void Complete()
    {
        if (_completed)
        {
            throw new InvalidOperationException("an ActorTask completed twice");
        }

        _completed = true;
        object? continuation = _continuation;
        _continuation = null;
        if (ReferenceEquals(continuation, DetachedMarker))
        {
            GetResult(Version);
        }
        else if (continuation is not null)
        {
            Continuation.Run(continuation);
        }
    }

    /// <summary>
    /// Runs the state machine of a box on (see <see cref="IStateMachineBox.MoveNext"/>); every box is a
    /// source. A virtual call: through the interface, the call site that resumes every kind of box is
    /// megamorphic and each call took the runtime's slow resolve stub.
    /// </summary>
    internal virtual void MoveNextBox() => throw new InvalidOperationException("not a state-machine box");

    /// <summary>Called once the result of a use was taken; a pooled source resets itself and goes back to its pool.</summary>
    protected virtual void Release()
    {
    }

    /// <summary>Makes the source fresh for its next use and invalidates every task of this one.</summary>
    protected virtual void ResetForReuse()
    {
        _continuation = null;
        _exception = null;
        _completed = false;
        Version = unchecked(Version + 1);
    }

    private void CheckToken(int token)
    {
        if (token != Version)
        {
            ThrowStale();
        }
    }

    private static void ThrowStale()
        => throw new InvalidOperationException("an ActorTask was used after its result was taken (awaited twice, or a copy kept past its await)");
}

/// <summary>The completion state of a suspended <see cref="ActorTask{T}"/>.</summary>
internal class ActorTaskSource<T> : ActorTaskSource
{
    private T _result = default!;

    public new static ActorTaskSource<T> Faulted(Exception exception)
    {
        var source = new ActorTaskSource<T>();
        source.SetException(exception);
        return source;
    }

    public void SetResult(T result)
    {
        _result = result;
        Complete();
    }

    /// <summary>Takes the result of a completed use (see <see cref="ActorTaskSource.GetResult(int)"/>).</summary>
    public new T GetResult(int token)
    {
        ExceptionDispatchInfo? exception = TakeOutcome(token);
        T result = _result;
        Release();
        exception?.Throw();
        return result;
    }

    protected override void ResetForReuse()
    {
        _result = default!;
        base.ResetForReuse();
    }
}

using System.Runtime.ExceptionServices;

namespace ShadowPt.Runtime.Async;

/// <summary>
/// The completion state of a suspended <see cref="ActorTask"/>. Completion runs the one waiting
/// continuation synchronously, on the delivery that completed it: no thread pool, no context switch.
/// </summary>
internal class ActorTaskSource
{
    /// <summary>The continuation of whoever awaits this task, a box or an action (see <see cref="Continuation"/>); at most one.</summary>
    private object? _continuation;

    /// <summary>The failure, once faulted.</summary>
    private ExceptionDispatchInfo? _exception;

    public bool IsCompleted { get; private set; }

    public static ActorTaskSource Faulted(Exception exception)
    {
        var source = new ActorTaskSource();
        source.SetException(exception);
        return source;
    }

    public void OnCompleted(Action continuation) => OnCompleted((object)continuation);

    /// <summary>Resumes <paramref name="box"/> when this completes (at once if it has).</summary>
    public void OnCompleted(IStateMachineBox box) => OnCompleted((object)box);

    private void OnCompleted(object continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (IsCompleted)
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

    public void ThrowIfFaulted() => _exception?.Throw();

    public void SetException(Exception exception)
    {
        _exception = ExceptionDispatchInfo.Capture(exception);
        Complete();
    }

    protected void Complete()
    {
        if (IsCompleted)
        {
            throw new InvalidOperationException("an ActorTask completed twice");
        }

        IsCompleted = true;
        object? continuation = _continuation;
        _continuation = null;
        if (continuation is not null)
        {
            Continuation.Run(continuation);
        }
    }

    public void SetResult() => Complete();
}

/// <summary>The completion state of a suspended <see cref="ActorTask{T}"/>.</summary>
internal class ActorTaskSource<T> : ActorTaskSource
{
    public T Result { get; private set; } = default!;

    public new static ActorTaskSource<T> Faulted(Exception exception)
    {
        var source = new ActorTaskSource<T>();
        source.SetException(exception);
        return source;
    }

    public void SetResult(T result)
    {
        Result = result;
        Complete();
    }

    public T GetResult()
    {
        ThrowIfFaulted();
        return Result;
    }
}

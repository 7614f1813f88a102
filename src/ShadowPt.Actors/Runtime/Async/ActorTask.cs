using System.Runtime.CompilerServices;

namespace ShadowPt.Runtime.Async;

/// <summary>
/// The return type of async actor code: sequential code whose every await is a scheduling point
/// driven by the actor's own deliveries. No <see cref="Task"/> and no thread pool under it, so a
/// deterministic run stays a pure function of its schedule. Completes synchronously for free.
/// </summary>
[AsyncMethodBuilder(typeof(ActorTaskMethodBuilder))]
public readonly struct ActorTask
{
    /// <summary>Null when the task completed synchronously and successfully.</summary>
    private readonly ActorTaskSource? _source;

    internal ActorTask(ActorTaskSource source) => _source = source;

    public static ActorTask CompletedTask => default;

    public bool IsCompleted => _source is null || _source.IsCompleted;

    public ActorTaskAwaiter GetAwaiter() => new(_source);
}

/// <summary>Awaits an <see cref="ActorTask"/>.</summary>
public readonly struct ActorTaskAwaiter : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly ActorTaskSource? _source;

    internal ActorTaskAwaiter(ActorTaskSource? source) => _source = source;

    public bool IsCompleted => _source is null || _source.IsCompleted;

    public void GetResult() => _source?.ThrowIfFaulted();

    public void OnCompleted(Action continuation)
    {
        if (_source is null)
        {
            continuation();
        }
        else
        {
            _source.OnCompleted(continuation);
        }
    }

    public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);

    void IBoxAwareAwaiter.OnCompleted(IStateMachineBox box)
    {
        if (_source is null)
        {
            box.MoveNext();
        }
        else
        {
            _source.OnCompleted(box);
        }
    }
}

/// <summary>Async actor code that produces a value.</summary>
[AsyncMethodBuilder(typeof(ActorTaskMethodBuilder<>))]
public readonly struct ActorTask<T>
{
    /// <summary>Set when the task suspended at least once (or faulted synchronously).</summary>
    private readonly ActorTaskSource<T>? _source;

    /// <summary>The result when the task completed synchronously.</summary>
    private readonly T _result;

    internal ActorTask(ActorTaskSource<T> source)
    {
        _source = source;
        _result = default!;
    }

    public ActorTask(T result)
    {
        _source = null;
        _result = result;
    }

    public bool IsCompleted => _source is null || _source.IsCompleted;

    public ActorTaskAwaiter<T> GetAwaiter() => new(_source, _result);

    public static implicit operator ActorTask(ActorTask<T> task) => task._source is null ? default : new ActorTask(task._source);
}

/// <summary>Awaits an <see cref="ActorTask{T}"/>.</summary>
public readonly struct ActorTaskAwaiter<T> : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly ActorTaskSource<T>? _source;
    private readonly T _result;

    internal ActorTaskAwaiter(ActorTaskSource<T>? source, T result)
    {
        _source = source;
        _result = result;
    }

    public bool IsCompleted => _source is null || _source.IsCompleted;

    public T GetResult() => _source is null ? _result : _source.GetResult();

    public void OnCompleted(Action continuation)
    {
        if (_source is null)
        {
            continuation();
        }
        else
        {
            _source.OnCompleted(continuation);
        }
    }

    public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);

    void IBoxAwareAwaiter.OnCompleted(IStateMachineBox box)
    {
        if (_source is null)
        {
            box.MoveNext();
        }
        else
        {
            _source.OnCompleted(box);
        }
    }
}

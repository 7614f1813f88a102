using System.Runtime.CompilerServices;

namespace ShadowPt.Runtime.Async;

/// <summary>
/// The return type of async actor code: sequential code whose every await is a scheduling point
/// driven by the actor's own deliveries. No <see cref="Task"/> and no thread pool under it, so a
/// deterministic run stays a pure function of its schedule. Completes synchronously for free.
/// Like a <see cref="System.Threading.Tasks.ValueTask"/>, it is awaited once: its source may be
/// pooled once the result was taken, and a copy used after that throws <see cref="InvalidOperationException"/>.
/// </summary>
[AsyncMethodBuilder(typeof(ActorTaskMethodBuilder))]
public readonly struct ActorTask
{
    /// <summary>Null when the task completed synchronously and successfully.</summary>
    private readonly ActorTaskSource? _source;

    /// <summary>The <see cref="ActorTaskSource.Version"/> of <see cref="_source"/> this task belongs to.</summary>
    private readonly int _token;

    internal ActorTask(ActorTaskSource source, int token)
    {
        _source = source;
        _token = token;
    }

    public static ActorTask CompletedTask => default;

    public bool IsCompleted => _source is null || _source.IsCompleted(_token);

    public ActorTaskAwaiter GetAwaiter() => new(_source, _token);
}

/// <summary>Awaits an <see cref="ActorTask"/>.</summary>
public readonly struct ActorTaskAwaiter : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly ActorTaskSource? _source;
    private readonly int _token;

    internal ActorTaskAwaiter(ActorTaskSource? source, int token)
    {
        _source = source;
        _token = token;
    }

    public bool IsCompleted => _source is null || _source.IsCompleted(_token);

    public void GetResult() => _source?.GetResult(_token);

    public void OnCompleted(Action continuation)
    {
        if (_source is null)
        {
            continuation();
        }
        else
        {
            _source.OnCompleted(continuation, _token);
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
            _source.OnCompleted(box, _token);
        }
    }

    /// <summary>Takes the result when the task completes, with no awaiter (<see cref="ActorTaskSource.OnCompletedDetached"/>); the task must not be complete yet.</summary>
    internal void OnCompletedDetached()
    {
        if (_source is null)
        {
            throw new InvalidOperationException("a completed ActorTask cannot be detached");
        }

        _source.OnCompletedDetached(_token);
    }
}

/// <summary>Async actor code that produces a value.</summary>
[AsyncMethodBuilder(typeof(ActorTaskMethodBuilder<>))]
public readonly struct ActorTask<T>
{
    /// <summary>Set when the task suspended at least once (or faulted synchronously).</summary>
    private readonly ActorTaskSource<T>? _source;

    /// <summary>The <see cref="ActorTaskSource.Version"/> of <see cref="_source"/> this task belongs to.</summary>
    private readonly int _token;

    /// <summary>The result when the task completed synchronously.</summary>
    private readonly T _result;

    internal ActorTask(ActorTaskSource<T> source, int token)
    {
        _source = source;
        _token = token;
        _result = default!;
    }

    public ActorTask(T result)
    {
        _source = null;
        _token = 0;
        _result = result;
    }

    public bool IsCompleted => _source is null || _source.IsCompleted(_token);

    public ActorTaskAwaiter<T> GetAwaiter() => new(_source, _token, _result);

    public static implicit operator ActorTask(ActorTask<T> task) => task._source is null ? default : new ActorTask(task._source, task._token);
}

/// <summary>Awaits an <see cref="ActorTask{T}"/>.</summary>
public readonly struct ActorTaskAwaiter<T> : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly ActorTaskSource<T>? _source;
    private readonly int _token;
    private readonly T _result;

    internal ActorTaskAwaiter(ActorTaskSource<T>? source, int token, T result)
    {
        _source = source;
        _token = token;
        _result = result;
    }

    public bool IsCompleted => _source is null || _source.IsCompleted(_token);

    public T GetResult() => _source is null ? _result : _source.GetResult(_token);

    public void OnCompleted(Action continuation)
    {
        if (_source is null)
        {
            continuation();
        }
        else
        {
            _source.OnCompleted(continuation, _token);
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
            _source.OnCompleted(box, _token);
        }
    }
}

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

/// <summary>
/// Small per-thread pools of sources, one per type of source (one per type of state-machine box). A
/// box is rented when its method first suspends and goes back when the awaiter took its result
/// (<see cref="ActorTaskSource.GetResult(int)"/>): then its method has returned, its continuation ran,
/// and the only references left are copies of the task, which carry the old
/// <see cref="ActorTaskSource.Version"/> and throw if used. Thread-static, so no lock and no sharing:
/// under the threaded scheduler a box may go back to another thread's pool than the one it came from,
/// which is fine, as no one owns it at that point. One non-generic thread-static array indexed by a
/// per-type number, not a thread-static per generic type: the runtime reaches the latter through a
/// slow helper when the code is shared between reference types, which cost more than the allocation saved.
/// </summary>
internal static class SourcePool
{
    /// <summary>Sources kept per thread and type: more than the calls of one type that are suspended at once in a world.</summary>
    private const int DepthMax = 32;

    /// <summary>This thread's pools: the head of each type's list, by <see cref="NewTypeIndex"/>.</summary>
    [ThreadStatic]
    private static Slot[]? t_heads;

    private static int s_types;

    /// <summary>A number for a new pooled type, from its static initializer.</summary>
    public static int NewTypeIndex() => Interlocked.Increment(ref s_types) - 1;

    /// <summary>A pooled source of type number <paramref name="index"/>, or null when that pool is empty.</summary>
    public static ActorTaskSource? Rent(int index)
    {
        Slot[]? heads = t_heads;
        if (heads is null || (uint)index >= (uint)heads.Length)
        {
            return null;
        }

        ActorTaskSource? head = heads[index].Head;
        if (head is not null)
        {
            heads[index].Head = head.PoolNext;
            head.PoolNext = null;
        }

        return head;
    }

    /// <summary>Takes back a source of type number <paramref name="index"/> whose use is over (already reset), unless the pool is full.</summary>
    public static void Return(int index, ActorTaskSource source)
    {
        Slot[]? heads = t_heads;
        if (heads is null || (uint)index >= (uint)heads.Length)
        {
            heads = Grow(index);
        }

        ActorTaskSource? head = heads[index].Head;
        int depth = head is null ? 1 : head.PoolDepth + 1;
        if (depth <= DepthMax)
        {
            source.PoolDepth = depth;
            source.PoolNext = head;
            heads[index].Head = source;
        }
    }

    private static Slot[] Grow(int index)
    {
        Slot[]? heads = t_heads;
        Array.Resize(ref heads, Math.Max(64, (index + 1) * 2));
        t_heads = heads;
        return heads;
    }

    /// <summary>One pool's head; a struct, so that storing a derived source needs no array covariance check.</summary>
    private struct Slot
    {
        public ActorTaskSource? Head;
    }
}

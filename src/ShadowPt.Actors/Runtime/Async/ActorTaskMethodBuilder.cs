using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ShadowPt.Runtime.Async;

/// <summary>
/// Builds <see cref="ActorTask"/>. The state machine runs synchronously until its first real
/// suspension; only then is it boxed (once) and its MoveNext handed to the awaited thing.
/// Execution context is not captured or flowed: actor code needs none and a deterministic run must not depend on it.
/// Boxes are pooled per thread and state-machine type (<see cref="SourcePool"/>): a box goes back
/// once its awaiter took the result, and its version token catches any stale copy of the task.
/// </summary>
public struct ActorTaskMethodBuilder
{
    /// <summary>Created at the first suspension or at a synchronous fault.</summary>
    private ActorTaskSource? _source;

    public static ActorTaskMethodBuilder Create() => default;

    public readonly ActorTask Task => _source is null ? default : new ActorTask(_source, _source.Version);

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine => stateMachine.MoveNext();

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public readonly void SetResult() => _source?.SetResult();

    public void SetException(Exception exception)
    {
        if (_source is null)
        {
            _source = ActorTaskSource.Faulted(exception);
        }
        else
        {
            _source.SetException(exception);
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        IStateMachineBox box = GetBox(ref stateMachine);
        if (default(TAwaiter) is not null && awaiter is IBoxAwareAwaiter)
        {
            // A struct awaiter: the JIT drops the boxing of this cast, as for the BCL's own builders.
            ((IBoxAwareAwaiter)awaiter).OnCompleted(box);
        }
        else
        {
            awaiter.OnCompleted(box.MoveNextAction);
        }
    }

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        IStateMachineBox box = GetBox(ref stateMachine);
        if (default(TAwaiter) is not null && awaiter is IBoxAwareAwaiter)
        {
            ((IBoxAwareAwaiter)awaiter).OnCompleted(box);
        }
        else
        {
            awaiter.UnsafeOnCompleted(box.MoveNextAction);
        }
    }

    private IStateMachineBox GetBox<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (_source is not null)
        {
            // Only a box is set before the method's end (a synchronous fault ends it): no interface cast needed.
            Debug.Assert(_source is IStateMachineBox, "a source set before the method ended is its box");
            return Unsafe.As<IStateMachineBox>(_source);
        }

        // Set the source before copying: the copy in the box must carry the same builder state.
        var box = StateMachineBox<TStateMachine>.Rent();
        _source = box;
        box.StateMachine = stateMachine;
        return box;
    }

    /// <summary>A source that owns the boxed state machine of the method it completes.</summary>
    private sealed class StateMachineBox<TStateMachine> : ActorTaskSource, IStateMachineBox
        where TStateMachine : IAsyncStateMachine
    {
        private Action? _moveNext;

        public TStateMachine StateMachine = default!;

        /// <summary>This type's number in <see cref="SourcePool"/>.</summary>
        private static readonly int PoolIndex = SourcePool.NewTypeIndex();

        public Action MoveNextAction => _moveNext ??= MoveNext;

        public void MoveNext() => StateMachine.MoveNext();

        internal override void MoveNextBox() => StateMachine.MoveNext();

        /// <summary>A box from this thread's pool, or a new one.</summary>
        public static StateMachineBox<TStateMachine> Rent()
            => SourcePool.Rent(PoolIndex) is { } pooled ? Unsafe.As<StateMachineBox<TStateMachine>>(pooled) : new();

        /// <summary>The method returned and its result was taken: drop what the state machine holds and go back to the pool.</summary>
        protected override void Release()
        {
            StateMachine = default!;
            ResetForReuse();
            SourcePool.Return(PoolIndex, this);
        }
    }
}

/// <summary>Builds <see cref="ActorTask{T}"/>; see <see cref="ActorTaskMethodBuilder"/>.</summary>
public struct ActorTaskMethodBuilder<T>
{
    /// <summary>Created at the first suspension or at a synchronous fault.</summary>
    private ActorTaskSource<T>? _source;

    /// <summary>The result of a synchronous completion.</summary>
    private T _result;

    public static ActorTaskMethodBuilder<T> Create() => default;

    public readonly ActorTask<T> Task => _source is null ? new ActorTask<T>(_result) : new ActorTask<T>(_source, _source.Version);

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine => stateMachine.MoveNext();

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult(T result)
    {
        if (_source is null)
        {
            _result = result;
        }
        else
        {
            _source.SetResult(result);
        }
    }

    public void SetException(Exception exception)
    {
        if (_source is null)
        {
            _source = ActorTaskSource<T>.Faulted(exception);
        }
        else
        {
            _source.SetException(exception);
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        IStateMachineBox box = GetBox(ref stateMachine);
        if (default(TAwaiter) is not null && awaiter is IBoxAwareAwaiter)
        {
            // A struct awaiter: the JIT drops the boxing of this cast, as for the BCL's own builders.
            ((IBoxAwareAwaiter)awaiter).OnCompleted(box);
        }
        else
        {
            awaiter.OnCompleted(box.MoveNextAction);
        }
    }

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        IStateMachineBox box = GetBox(ref stateMachine);
        if (default(TAwaiter) is not null && awaiter is IBoxAwareAwaiter)
        {
            ((IBoxAwareAwaiter)awaiter).OnCompleted(box);
        }
        else
        {
            awaiter.UnsafeOnCompleted(box.MoveNextAction);
        }
    }

    private IStateMachineBox GetBox<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (_source is not null)
        {
            // Only a box is set before the method's end (a synchronous fault ends it): no interface cast needed.
            Debug.Assert(_source is IStateMachineBox, "a source set before the method ended is its box");
            return Unsafe.As<IStateMachineBox>(_source);
        }

        var box = StateMachineBox<TStateMachine>.Rent();
        _source = box;
        box.StateMachine = stateMachine;
        return box;
    }

    /// <summary>A source that owns the boxed state machine of the method it completes.</summary>
    private sealed class StateMachineBox<TStateMachine> : ActorTaskSource<T>, IStateMachineBox
        where TStateMachine : IAsyncStateMachine
    {
        private Action? _moveNext;

        public TStateMachine StateMachine = default!;

        /// <summary>This type's number in <see cref="SourcePool"/>.</summary>
        private static readonly int PoolIndex = SourcePool.NewTypeIndex();

        public Action MoveNextAction => _moveNext ??= MoveNext;

        public void MoveNext() => StateMachine.MoveNext();

        internal override void MoveNextBox() => StateMachine.MoveNext();

        /// <summary>A box from this thread's pool, or a new one.</summary>
        public static StateMachineBox<TStateMachine> Rent()
            => SourcePool.Rent(PoolIndex) is { } pooled ? Unsafe.As<StateMachineBox<TStateMachine>>(pooled) : new();

        /// <summary>The method returned and its result was taken: drop what the state machine holds and go back to the pool.</summary>
        protected override void Release()
        {
            StateMachine = default!;
            ResetForReuse();
            SourcePool.Return(PoolIndex, this);
        }
    }
}

/// <summary>A boxed async state machine. Only the builders' boxes implement it, and each is an <see cref="ActorTaskSource"/> (<see cref="Continuation.Run"/> relies on that).</summary>
internal interface IStateMachineBox
{
    /// <summary>The box's <see cref="MoveNext"/> as a delegate, for awaiters that only take an <see cref="Action"/>; made on first use.</summary>
    Action MoveNextAction { get; }

    /// <summary>Runs the state machine on from where it suspended.</summary>
    void MoveNext();
}

using System.Runtime.CompilerServices;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>Awaits a <see cref="MemOp{T}"/> and unwraps its result.</summary>
public readonly struct MemAwaitable<T> : ICriticalNotifyCompletion, IBoxAwareAwaiter
{
    private readonly AskAwaitable<MemReply> _ask;

    internal MemAwaitable(AskAwaitable<MemReply> ask) => _ask = ask;

    public bool IsCompleted => _ask.IsCompleted;

    public MemAwaitable<T> GetAwaiter() => this;

    public T GetResult() => (T)_ask.GetResult().Value!;

    public void OnCompleted(Action continuation) => _ask.OnCompleted(continuation);

    public void UnsafeOnCompleted(Action continuation) => _ask.UnsafeOnCompleted(continuation);

    void IBoxAwareAwaiter.OnCompleted(IStateMachineBox box) => _ask.OnCompleted(box);

    /// <summary>Resumes <paramref name="box"/> when the reply arrives (for awaiters that wrap this one; no boxing of this struct).</summary>
    internal void OnCompleted(IStateMachineBox box) => _ask.OnCompleted(box);
}

using System.Runtime.CompilerServices;
using ShadowPt.Kernel;

namespace ShadowPt.Actors;

/// <summary>
/// What a CPU's run loop awaits while its run queue is empty: the next request wakes it, synchronously,
/// inside the delivery of that request, as starting a new loop there would. One loop per CPU for the
/// whole run instead of one per request: a loop that suspends is boxed once, not once per request.
/// </summary>
/// <remarks>Used by one actor only (its loop and its request handler), so it needs no lock.</remarks>
internal sealed class RunQueueWaiter : INotifyCompletion
{
    /// <summary>The parked loop's continuation, or null when the loop is not parked.</summary>
    private Action? _continuation;

    /// <summary>Whether the loop is parked here, waiting for a request.</summary>
    public bool IsParked => _continuation is not null;

    /// <summary>Never completed when awaited: the loop awaits it only once the queue is empty.</summary>
    public bool IsCompleted => false;

    public RunQueueWaiter GetAwaiter() => this;

    public void GetResult()
    {
    }

    public void OnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Bug.On(_continuation is not null, "run queue: the run loop parked twice");
        _continuation = continuation;
    }

    /// <summary>Resumes the parked loop now (it runs until its next suspension before this returns).</summary>
    public void Wake()
    {
        Action? continuation = _continuation;
        Bug.On(continuation is null, "run queue: woken while the run loop is not parked");
        _continuation = null;
        continuation!();
    }
}

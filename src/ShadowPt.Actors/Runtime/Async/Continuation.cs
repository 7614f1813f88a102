using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ShadowPt.Runtime.Async;

/// <summary>
/// What resumes an awaiting method, stored as an object: the awaiting method's own state-machine box
/// when its awaiter knows about boxes (every awaiter of the runtime does), or an <see cref="Action"/>
/// otherwise. Passing the box itself saves a delegate per suspension: several per simulated access.
/// </summary>
internal static class Continuation
{
    /// <summary>Runs <paramref name="continuation"/>, a box or an action.</summary>
    public static void Run(object continuation)
    {
        // Action is sealed: one type compare, where testing for the interface first took a cast helper call.
        if (continuation is Action action)
        {
            action();
        }
        else
        {
            Debug.Assert(continuation is IStateMachineBox and ActorTaskSource, "a continuation is a box (a source) or an action");
            Unsafe.As<ActorTaskSource>(continuation).MoveNextBox();
        }
    }
}

/// <summary>An awaiter that can resume a state-machine box directly, without a delegate.</summary>
internal interface IBoxAwareAwaiter
{
    /// <summary>Arranges for <paramref name="box"/> to move on once the awaited thing completes.</summary>
    void OnCompleted(IStateMachineBox box);
}

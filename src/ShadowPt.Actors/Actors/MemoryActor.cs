using ShadowPt.Kernel;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Actors;

/// <summary>
/// The memory-subsystem actor: owns <see cref="KernelState"/> (frames, mms, VMAs, page tables, the
/// lock grant queues) and runs every operation on it one at a time. Lock requests are answered when
/// the lock is granted, which may be much later, on another CPU's release.
/// </summary>
public sealed class MemoryActor : ReceiveActor
{
    /// <summary>The state, whose <see cref="KernelState.LockWaits"/> say whom to answer when a lock is handed over.</summary>
    private readonly KernelState _state;

    public MemoryActor(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
        Receive<MemOp>(op =>
        {
            state.Step = Context.Step;
            state.CurrentOp = op;
            Sender.Tell(op.Run(state));
            state.CurrentOp = null;
            while (state.PendingGrants.TryDequeue(out (LockRef Lock, LockGrant Grant) pending))
            {
                Grant(pending.Lock, pending.Grant);
            }
        });
        Receive<LockRequest>(request =>
        {
            state.Step = Context.Step;
            if (request.Lock.Acquire(state, request.Owner, request.Mode))
            {
                Sender.Tell(LockGranted.Instance);
            }
            else
            {
                state.LockWaits.Add(new LockWait(request.Lock, request.Owner, request.Mode, state.Step, Sender));
            }
        });
        Receive<LockRelease>(release =>
        {
            state.Step = Context.Step;
            foreach (LockGrant grant in release.Lock.Release(state, release.Owner, release.Mode))
            {
                Grant(release.Lock, grant);
            }
        });
    }

    /// <summary>Answers the waiter a lock was handed to.</summary>
    private void Grant(LockRef lockRef, LockGrant grant)
    {
        _state.LockWaits.Take(lockRef, grant.Owner).ReplyTo.Tell(LockGranted.Instance, Self);
    }
}

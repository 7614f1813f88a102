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
    /// <summary>Queued lock requests: who to answer when the lock is handed to that owner.</summary>
    private readonly Dictionary<(LockRef Lock, LockOwner Owner), IActorRef> _waiters = new();

    public MemoryActor(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
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
                _waiters.Add((request.Lock, request.Owner), Sender);
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
        if (!_waiters.Remove((lockRef, grant.Owner), out IActorRef? waiter))
        {
            throw new KernelBugException($"{lockRef.Name} granted to {grant.Owner}, who is not waiting");
        }

        waiter.Tell(LockGranted.Instance, Self);
    }
}

using ShadowPt.Runtime.Actors;

namespace ShadowPt.Kernel;

/// <summary>A lock held by an owner, as the lock itself knows it.</summary>
public readonly record struct LockHolder(LockOwner Owner, LockMode Mode);

/// <summary>
/// A lock request the memory-subsystem actor queued because the lock was not free: who waits, for
/// which lock and how, since which step, and whom to answer when the lock is handed over.
/// </summary>
public sealed record LockWait(LockRef Lock, LockOwner Owner, LockMode Mode, long SinceStep, IActorRef ReplyTo);

/// <summary>
/// The queued lock requests of a machine (kept in <see cref="KernelState"/>, touched only by the
/// memory-subsystem actor), so that checkers can read at quiescent points who waits for what. A task
/// waits for one lock at a time, so there is at most one wait per owner.
/// </summary>
public sealed class LockWaitList
{
    /// <summary>Most waits at once: one per task.</summary>
    public const int WaitsMax = MachineConfig.TasksMax;

    /// <summary>The waits by lock and owner.</summary>
    private readonly Dictionary<(LockRef Lock, LockOwner Owner), LockWait> _waits = new();

    public int Count => _waits.Count;

    /// <summary>Every wait, oldest first (owners break ties), for reports.</summary>
    public IReadOnlyList<LockWait> All => _waits.Values.OrderBy(w => w.SinceStep).ThenBy(w => w.Owner.Id).ToArray();

    /// <summary>Records a queued request; an owner waits for one lock at a time.</summary>
    public void Add(LockWait wait)
    {
        ArgumentNullException.ThrowIfNull(wait);
        Bug.On(_waits.Count >= WaitsMax, $"more than {WaitsMax} lock waits");
        Bug.On(!_waits.TryAdd((wait.Lock, wait.Owner), wait), $"{wait.Owner} waits for {wait.Lock.Name} twice");
    }

    /// <summary>Removes and returns the wait of <paramref name="owner"/> for <paramref name="lockRef"/>, which was handed the lock.</summary>
    public LockWait Take(LockRef lockRef, LockOwner owner)
    {
        ArgumentNullException.ThrowIfNull(lockRef);
        if (!_waits.Remove((lockRef, owner), out LockWait? wait))
        {
            throw new KernelBugException($"{lockRef.Name} granted to {owner}, who is not waiting");
        }

        return wait;
    }

    /// <summary>The wait of <paramref name="owner"/> for <paramref name="lockRef"/>, or null.</summary>
    public LockWait? Find(LockRef lockRef, LockOwner owner) =>
        _waits.TryGetValue((lockRef, owner), out LockWait? wait) ? wait : null;
}

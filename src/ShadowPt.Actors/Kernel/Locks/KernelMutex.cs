namespace ShadowPt.Kernel;

/// <summary>
/// A sleeping mutex (<c>struct mutex</c>) as a state machine: owner tracking and a FIFO of waiters,
/// with hand-off to the oldest waiter on unlock; a killable wait may be cancelled.
/// </summary>
/// <remarks>kernel/locking/mutex.c. Not modeled: optimistic spinning and lock stealing before hand-off.</remarks>
public sealed class KernelMutex
{
    /// <summary>Default bound on waiters.</summary>
    public const int DefaultWaitersMax = 4096;

    private readonly FifoLock _lock;

    public KernelMutex(LockClass lockClass, string name, int waitersMax = DefaultWaitersMax)
    {
        ArgumentNullException.ThrowIfNull(name);
        Class = lockClass;
        Name = name;
        _lock = new FifoLock(waitersMax);
    }

    public LockClass Class { get; }

    public string Name { get; }

    /// <summary>mutex owner, or null.</summary>
    public LockOwner? Owner => _lock.Owner;

    /// <summary>Sleeping owners, oldest first.</summary>
    public IReadOnlyCollection<LockOwner> Waiters => _lock.Waiters;

    /// <summary>mutex_is_locked.</summary>
    public bool IsLocked => _lock.Owner is not null;

    /// <summary>mutex_lock: true when granted now, false when queued.</summary>
    public bool Lock(LockOwner owner) => _lock.Lock(owner, Name);

    /// <summary>mutex_trylock.</summary>
    public bool TryLock(LockOwner owner) => _lock.TryLock(owner, Name);

    /// <summary>mutex_unlock: returns the waiter the mutex was handed to, if any.</summary>
    public LockGrant? Unlock(LockOwner owner) => _lock.Unlock(owner, Name);

    /// <summary>A mutex_lock_killable wait that was interrupted.</summary>
    public void CancelWait(LockOwner owner) => _lock.CancelWait(owner, Name);

    public void AssertInvariants() => _lock.AssertInvariants(Name);

    public override string ToString() => $"{Name}: owner {(Owner?.ToString() ?? "-")}, waiters {Waiters.Count}";
}

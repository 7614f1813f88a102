namespace ShadowPt.Kernel;

/// <summary>
/// A spinlock (<c>spinlock_t</c>) as a state machine: one owner, waiters served in arrival order as the
/// queued spinlock does. The holder is in atomic context; the actor layer keeps it from sleeping.
/// </summary>
/// <remarks>kernel/locking/qspinlock.c (MCS queue: FIFO hand-off). Used for split PTE locks and page_table_lock.</remarks>
public sealed class Spinlock
{
    /// <summary>Default bound on waiters: one per CPU of the largest machine.</summary>
    public const int DefaultWaitersMax = CpuMask.CpusMax;

    private readonly FifoLock _lock;

    public Spinlock(LockClass lockClass, string name, int waitersMax = DefaultWaitersMax)
    {
        ArgumentNullException.ThrowIfNull(name);
        Class = lockClass;
        Name = name;
        _lock = new FifoLock(waitersMax);
    }

    public LockClass Class { get; }

    public string Name { get; }

    /// <summary>The holder, or null.</summary>
    public LockOwner? Owner => _lock.Owner;

    /// <summary>Spinning owners, oldest first.</summary>
    public IReadOnlyCollection<LockOwner> Waiters => _lock.Waiters;

    /// <summary>spin_is_locked.</summary>
    public bool IsLocked => _lock.Owner is not null;

    /// <summary>spin_lock: true when granted now, false when queued.</summary>
    public bool Lock(LockOwner owner) => _lock.Lock(owner, Name);

    /// <summary>spin_trylock.</summary>
    public bool TryLock(LockOwner owner) => _lock.TryLock(owner, Name);

    /// <summary>spin_unlock: returns the next owner, if any waited.</summary>
    public LockGrant? Unlock(LockOwner owner) => _lock.Unlock(owner, Name);

    public void AssertInvariants() => _lock.AssertInvariants(Name);

    public override string ToString() => $"{Name}: owner {(Owner?.ToString() ?? "-")}, waiters {Waiters.Count}";
}

namespace ShadowPt.Kernel;

/// <summary>
/// The state machine shared by <see cref="Spinlock"/> and <see cref="KernelMutex"/>: one owner, and a
/// FIFO of waiters to which the lock is handed on release.
/// </summary>
internal sealed class FifoLock
{
    /// <summary>Queued owners, oldest first.</summary>
    private readonly Queue<LockOwner> _waiters = new();

    /// <summary>Bound on <see cref="_waiters"/>.</summary>
    private readonly int _waitersMax;

    public FifoLock(int waitersMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(waitersMax);
        _waitersMax = waitersMax;
    }

    public LockOwner? Owner { get; private set; }

    public IReadOnlyCollection<LockOwner> Waiters => _waiters;

    public bool Lock(LockOwner owner, string what)
    {
        CheckNotInvolved(owner, what);
        if (Owner is null)
        {
            Owner = owner;
            return true;
        }

        Bug.On(_waiters.Count >= _waitersMax, $"{what}: too many waiters");
        _waiters.Enqueue(owner);
        return false;
    }

    public bool TryLock(LockOwner owner, string what)
    {
        CheckNotInvolved(owner, what);
        if (Owner is not null)
        {
            return false;
        }

        Owner = owner;
        return true;
    }

    public LockGrant? Unlock(LockOwner owner, string what)
    {
        Bug.On(Owner != owner, $"{what}: unlock by an owner that does not hold it");
        Owner = _waiters.Count > 0 ? _waiters.Dequeue() : null;
        return Owner is LockOwner next ? new LockGrant(next, LockMode.Exclusive) : null;
    }

    public void CancelWait(LockOwner owner, string what)
    {
        int before = _waiters.Count;
        LockOwner[] rest = _waiters.Where(w => w != owner).ToArray();
        Bug.On(rest.Length != before - 1, $"{what}: cancel by an owner that is not waiting");
        _waiters.Clear();
        foreach (LockOwner waiter in rest)
        {
            _waiters.Enqueue(waiter);
        }
    }

    public void AssertInvariants(string what)
    {
        Bug.On(Owner is null && _waiters.Count > 0, $"{what}: waiters on a free lock");
        var seen = new HashSet<LockOwner>();
        foreach (LockOwner waiter in _waiters)
        {
            Bug.On(!seen.Add(waiter) || waiter == Owner, $"{what}: owner both holds and waits, or waits twice");
        }
    }

    private void CheckNotInvolved(LockOwner owner, string what)
    {
        Bug.On(Owner == owner, $"{what}: recursive acquire by the holder (self-deadlock)");
        Bug.On(_waiters.Contains(owner), $"{what}: owner already waiting");
    }
}

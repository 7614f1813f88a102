namespace ShadowPt.Kernel;

/// <summary>
/// A reader-writer semaphore as a pure state machine with a grant queue (<c>struct rw_semaphore</c>).
/// Readers share; a writer is exclusive; while anyone waits, new requests queue behind them (so a
/// waiting writer blocks new readers); on release the head of the queue is served: a writer alone,
/// or every queued reader at once (up to <see cref="ReadersWakeupMax"/>). Callers pass an opaque
/// owner and get back who was granted, which the memory-subsystem actor turns into replies.
/// </summary>
/// <remarks>
/// kernel/locking/rwsem.c: rwsem_down_read_slowpath queues a reader when waiters exist,
/// rwsem_mark_wake wakes the first waiter, and if it is a reader, all readers in the queue
/// (MAX_READERS_WAKEUP); downgrade_write wakes readers only when a reader heads the queue.
/// Not modeled: optimistic spinning and reader lock stealing, handoff timing. Recursion by one
/// owner is a model bug here (it can deadlock in Linux).
/// </remarks>
public sealed class RwSemaphore
{
    /// <summary>MAX_READERS_WAKEUP: readers granted by one wake-up.</summary>
    public const int ReadersWakeupMax = 0x100;

    /// <summary>Default bound on waiters; a run with more is out of its limits.</summary>
    public const int DefaultWaitersMax = 4096;

    /// <summary>Owners holding it for read, in grant order.</summary>
    private readonly List<LockOwner> _readers = new();

    /// <summary>Queued requests, oldest first.</summary>
    private readonly List<LockWaiter> _waiters = new();

    /// <summary>Bound on <see cref="_waiters"/> and <see cref="_readers"/>.</summary>
    private readonly int _waitersMax;

    public RwSemaphore(LockClass lockClass, string name, int waitersMax = DefaultWaitersMax)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(waitersMax);
        Class = lockClass;
        Name = name;
        _waitersMax = waitersMax;
    }

    /// <summary>The lock class the checker sees.</summary>
    public LockClass Class { get; }

    /// <summary>Instance name for traces (for example <c>mm3.mmap_lock</c>).</summary>
    public string Name { get; }

    /// <summary>The writer holding it, or null.</summary>
    public LockOwner? Writer { get; private set; }

    /// <summary>Readers holding it, in grant order.</summary>
    public IReadOnlyList<LockOwner> Readers => _readers;

    /// <summary>Queued requests, oldest first.</summary>
    public IReadOnlyList<LockWaiter> Waiters => _waiters;

    /// <summary>rwsem_is_locked.</summary>
    public bool IsLocked => Writer is not null || _readers.Count > 0;

    /// <summary>True when <paramref name="owner"/> holds it in <paramref name="mode"/> (mmap_assert_locked and friends).</summary>
    public bool IsHeldBy(LockOwner owner, LockMode mode) =>
        mode == LockMode.Exclusive ? Writer == owner : _readers.Contains(owner);

    /// <summary>down_read: true when granted now, false when queued.</summary>
    public bool DownRead(LockOwner owner) => Request(owner, LockMode.Shared);

    /// <summary>down_write: true when granted now, false when queued.</summary>
    public bool DownWrite(LockOwner owner) => Request(owner, LockMode.Exclusive);

    /// <summary>down_read_trylock: fails when a writer holds it or anyone waits.</summary>
    public bool DownReadTrylock(LockOwner owner)
    {
        CheckNotInvolved(owner);
        if (Writer is not null || _waiters.Count > 0)
        {
            return false;
        }

        GrantRead(owner);
        return true;
    }

    /// <summary>down_write_trylock: succeeds only when nobody holds it.</summary>
    public bool DownWriteTrylock(LockOwner owner)
    {
        CheckNotInvolved(owner);
        if (IsLocked)
        {
            return false;
        }

        Writer = owner;
        return true;
    }

    /// <summary>up_read: releases a read hold; returns the owners granted as a result.</summary>
    public IReadOnlyList<LockGrant> UpRead(LockOwner owner)
    {
        Bug.On(!_readers.Remove(owner), "up_read by an owner that does not hold it for read");
        return WakeWaiters();
    }

    /// <summary>up_write: releases the write hold; returns the owners granted as a result.</summary>
    public IReadOnlyList<LockGrant> UpWrite(LockOwner owner)
    {
        Bug.On(Writer != owner, "up_write by an owner that does not hold it for write");
        Writer = null;
        return WakeWaiters();
    }

    /// <summary>downgrade_write: the writer keeps it for read; queued readers join when a reader heads the queue.</summary>
    public IReadOnlyList<LockGrant> DowngradeWrite(LockOwner owner)
    {
        Bug.On(Writer != owner, "downgrade_write by an owner that does not hold it for write");
        Writer = null;
        GrantRead(owner);
        return WakeWaiters();
    }

    /// <summary>A killable or interrupted wait gives up (down_read_killable failing); may unblock others.</summary>
    public IReadOnlyList<LockGrant> CancelWait(LockOwner owner)
    {
        int index = IndexOfWaiter(owner);
        Bug.On(index < 0, "CancelWait by an owner that is not waiting");
        _waiters.RemoveAt(index);
        return WakeWaiters();
    }

    /// <summary>One writer or readers, never both; no owner twice; a non-empty queue only while the lock is held.</summary>
    public void AssertInvariants()
    {
        Bug.On(Writer is not null && _readers.Count > 0, "rwsem: writer and readers together");
        Bug.On(_waiters.Count > 0 && !IsLocked, "rwsem: waiters on a free lock");
        bool readerHeadsQueue = _waiters.Count > 0 && Writer is null && _waiters[0].Mode == LockMode.Shared;
        Bug.On(readerHeadsQueue && _readers.Count < ReadersWakeupMax, "rwsem: a reader waits though only readers hold it");
        var seen = new HashSet<LockOwner>();
        foreach (LockOwner reader in _readers)
        {
            Bug.On(!seen.Add(reader), "rwsem: owner holds it twice");
        }

        foreach (LockWaiter waiter in _waiters)
        {
            Bug.On(!seen.Add(waiter.Owner) || waiter.Owner == Writer, "rwsem: owner both holds and waits, or waits twice");
        }
    }

    public override string ToString() =>
        $"{Name}: writer {(Writer?.ToString() ?? "-")}, readers {_readers.Count}, waiters {_waiters.Count}";

    private bool Request(LockOwner owner, LockMode mode)
    {
        CheckNotInvolved(owner);
        bool free = mode == LockMode.Shared ? Writer is null : !IsLocked;
        if (free && _waiters.Count == 0)
        {
            if (mode == LockMode.Shared)
            {
                GrantRead(owner);
            }
            else
            {
                Writer = owner;
            }

            return true;
        }

        Bug.On(_waiters.Count >= _waitersMax, "rwsem: too many waiters");
        _waiters.Add(new LockWaiter(owner, mode));
        return false;
    }

    /// <summary>rwsem_mark_wake: serves the head of the queue if the lock allows it.</summary>
    private IReadOnlyList<LockGrant> WakeWaiters()
    {
        if (_waiters.Count == 0 || Writer is not null)
        {
            return Array.Empty<LockGrant>();
        }

        if (_waiters[0].Mode == LockMode.Exclusive)
        {
            if (_readers.Count > 0)
            {
                return Array.Empty<LockGrant>();
            }

            Writer = _waiters[0].Owner;
            _waiters.RemoveAt(0);
            return [new LockGrant(Writer.Value, LockMode.Exclusive)];
        }

        return WakeAllReaders();
    }

    private List<LockGrant> WakeAllReaders()
    {
        var granted = new List<LockGrant>();
        for (int i = 0; i < _waiters.Count && granted.Count < ReadersWakeupMax;)
        {
            if (_waiters[i].Mode == LockMode.Shared)
            {
                GrantRead(_waiters[i].Owner);
                granted.Add(new LockGrant(_waiters[i].Owner, LockMode.Shared));
                _waiters.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }

        return granted;
    }

    private void GrantRead(LockOwner owner)
    {
        Bug.On(_readers.Count >= _waitersMax, "rwsem: too many readers");
        _readers.Add(owner);
    }

    private void CheckNotInvolved(LockOwner owner)
    {
        Bug.On(Writer == owner || _readers.Contains(owner), "rwsem: recursive acquire by the holder");
        Bug.On(IndexOfWaiter(owner) >= 0, "rwsem: owner already waiting");
    }

    /// <summary>Where <paramref name="owner"/> waits, or -1; a loop, not a lambda, as every request checks it.</summary>
    private int IndexOfWaiter(LockOwner owner)
    {
        for (int i = 0; i < _waiters.Count; i++)
        {
            if (_waiters[i].Owner == owner)
            {
                return i;
            }
        }

        return -1;
    }
}

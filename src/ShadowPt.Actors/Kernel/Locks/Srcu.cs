namespace ShadowPt.Kernel;

/// <summary>
/// Sleepable RCU (<c>struct srcu_struct</c>) as a state machine: readers never wait; synchronize_srcu
/// waits until every reader that began before it has finished, and readers that begin later do not
/// hold it up. mmu_notifier callbacks run as readers; unregister synchronizes.
/// </summary>
/// <remarks>
/// kernel/rcu/srcutree.c in effect: each reader records the grace-period epoch it started in, and a
/// synchronizer waits for the readers of all epochs up to the one it closed. The idx returned by
/// <see cref="SrcuReadLock"/> is the epoch's parity, as the kernel's is one of two counters.
/// </remarks>
public sealed class Srcu
{
    /// <summary>Default bound on readers in flight and on synchronizers waiting.</summary>
    public const int DefaultParticipantsMax = 4096;

    /// <summary>Readers in flight with their starting epoch.</summary>
    private readonly List<(LockOwner Owner, long Epoch)> _readers = new();

    /// <summary>Synchronizers waiting, with the last epoch whose readers they wait for.</summary>
    private readonly List<(LockOwner Owner, long Epoch)> _synchronizers = new();

    /// <summary>Bound on both lists.</summary>
    private readonly int _participantsMax;

    /// <summary>The current grace-period epoch.</summary>
    private long _epoch;

    public Srcu(LockClass lockClass, string name, int participantsMax = DefaultParticipantsMax)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(participantsMax);
        Class = lockClass;
        Name = name;
        _participantsMax = participantsMax;
    }

    public LockClass Class { get; }

    public string Name { get; }

    /// <summary>Readers in flight.</summary>
    public int ReaderCount => _readers.Count;

    /// <summary>Owners waiting in synchronize_srcu, oldest first.</summary>
    public IEnumerable<LockOwner> Synchronizers => _synchronizers.Select(s => s.Owner);

    /// <summary>srcu_read_lock: never waits; returns idx for the unlock. An owner may nest read sections.</summary>
    public int SrcuReadLock(LockOwner owner)
    {
        Bug.On(_readers.Count >= _participantsMax, $"{Name}: too many readers");
        _readers.Add((owner, _epoch));
        return (int)(_epoch & 1);
    }

    /// <summary>srcu_read_unlock: ends the owner's latest read section with <paramref name="idx"/>; returns synchronizers released.</summary>
    public IReadOnlyList<LockGrant> SrcuReadUnlock(LockOwner owner, int idx)
    {
        int index = _readers.FindLastIndex(r => r.Owner == owner && (int)(r.Epoch & 1) == idx);
        Bug.On(index < 0, $"{Name}: srcu_read_unlock without a matching srcu_read_lock");
        _readers.RemoveAt(index);
        return Release();
    }

    /// <summary>synchronize_srcu: true when no earlier reader is in flight (returns at once), false when it must wait.</summary>
    public bool SynchronizeSrcu(LockOwner owner)
    {
        Bug.On(_synchronizers.Exists(s => s.Owner == owner), $"{Name}: owner already synchronizing");
        Bug.On(_readers.Exists(r => r.Owner == owner), $"{Name}: synchronize_srcu inside its own read section (self-deadlock)");
        long closed = _epoch;
        _epoch++;
        if (!_readers.Exists(r => r.Epoch <= closed))
        {
            return true;
        }

        Bug.On(_synchronizers.Count >= _participantsMax, $"{Name}: too many synchronizers");
        _synchronizers.Add((owner, closed));
        return false;
    }

    /// <summary>Every waiting synchronizer still has a reader it waits for.</summary>
    public void AssertInvariants()
    {
        foreach ((LockOwner _, long epoch) in _synchronizers)
        {
            Bug.On(!_readers.Exists(r => r.Epoch <= epoch), $"{Name}: synchronizer left waiting with no reader before it");
            Bug.On(epoch >= _epoch, $"{Name}: synchronizer waits for a future epoch");
        }
    }

    public override string ToString() => $"{Name}: readers {_readers.Count}, synchronizers {_synchronizers.Count}, epoch {_epoch}";

    private List<LockGrant> Release()
    {
        var granted = new List<LockGrant>();
        for (int i = 0; i < _synchronizers.Count;)
        {
            long epoch = _synchronizers[i].Epoch;
            if (_readers.Exists(r => r.Epoch <= epoch))
            {
                i++;
                continue;
            }

            granted.Add(new LockGrant(_synchronizers[i].Owner, LockMode.Exclusive));
            _synchronizers.RemoveAt(i);
        }

        return granted;
    }
}

using System.Globalization;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;

namespace ShadowPt.Kernel;

/// <summary>
/// Names one lock instance in the kernel state, and knows how to take and release it there.
/// Value equality: two refs to the same lock are equal.
/// </summary>
public abstract record LockRef
{
    /// <summary>The lock class, for the lock-order table and checker.</summary>
    public abstract LockClass Class { get; }

    /// <summary>The instance name for reports, such as <c>mm2->mmap_lock</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// <c>TraceHash.OfString(Name)</c>, the lock's part of a lock message's trace fingerprint. The locks
    /// of every fault compute it without building the name (a test holds the two equal).
    /// </summary>
    internal virtual ulong NameHash => TraceHash.OfString(Name);

    /// <summary>Longest name the overrides of <see cref="NameHash"/> format on the stack.</summary>
    private protected const int NameLengthMax = 64;

    /// <summary>Takes the lock for <paramref name="owner"/> or queues it; true when granted now.</summary>
    public abstract bool Acquire(KernelState state, LockOwner owner, LockMode mode);

    /// <summary>Releases the lock; returns the waiters it was handed to.</summary>
    public abstract IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode);

    /// <summary>Who holds the lock now, as the lock knows it (for checkers at quiescent points); never changes the state.</summary>
    public virtual IReadOnlyList<LockHolder> Holders(KernelState state) => [];
}

/// <summary>mm->mmap_lock.</summary>
public sealed record MmapLockRef(MmId Mm) : LockRef
{
    public override LockClass Class => LockClass.MmapLock;

    public override string Name => $"{Mm}->mmap_lock";

    internal override ulong NameHash
    {
        get
        {
            Span<char> name = stackalloc char[NameLengthMax];
            return name.TryWrite(CultureInfo.InvariantCulture, $"mm{Mm.Value}->mmap_lock", out int length)
                ? TraceHash.OfChars(name[..length])
                : base.NameHash;
        }
    }

    public override bool Acquire(KernelState state, LockOwner owner, LockMode mode)
    {
        RwSemaphore sem = state.Mm(Mm).MmapLock;
        return mode == LockMode.Shared ? sem.DownRead(owner) : sem.DownWrite(owner);
    }

    public override IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode)
    {
        RwSemaphore sem = state.Mm(Mm).MmapLock;
        return mode == LockMode.Shared ? sem.UpRead(owner) : sem.UpWrite(owner);
    }

    public override IReadOnlyList<LockHolder> Holders(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        RwSemaphore? sem = state.FindMm(Mm)?.MmapLock;
        if (sem is null)
        {
            return [];
        }

        return sem.Writer is LockOwner writer ? [new LockHolder(writer, LockMode.Exclusive)] : sem.Readers.Select(r => new LockHolder(r, LockMode.Shared)).ToArray();
    }
}

/// <summary>The split lock of one PTE page (pte_lockptr).</summary>
public sealed record PtlRef(PtePageId Page) : LockRef
{
    public override LockClass Class => LockClass.PageTableLock;

    public override string Name => $"ptl {Page}";

    internal override ulong NameHash
    {
        get
        {
            Span<char> name = stackalloc char[NameLengthMax];
            return name.TryWrite(CultureInfo.InvariantCulture, $"ptl ptepage@0x{Page.Pfn.Value:x}", out int length)
                ? TraceHash.OfChars(name[..length])
                : base.NameHash;
        }
    }

    public override bool Acquire(KernelState state, LockOwner owner, LockMode mode) => state.PteLockptr(Page).Lock(owner);

    public override IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode) =>
        state.PteLockptr(Page).Unlock(owner) is { } grant ? [grant] : [];

    public override IReadOnlyList<LockHolder> Holders(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.FindPteLockptr(Page)?.Owner is LockOwner owner ? [new LockHolder(owner, LockMode.Exclusive)] : [];
    }
}

/// <summary>Asks the memory-subsystem actor for a lock; the reply <see cref="LockGranted"/> comes when it is held.</summary>
public sealed record LockRequest(LockRef Lock, LockMode Mode, LockOwner Owner) : ITraceable
{
    public ulong TraceFingerprint => Lock.NameHash ^ (ulong)Owner.Id ^ ((ulong)Mode << 40);
}

/// <summary>Releases a lock; sent without waiting, FIFO behind the holder's earlier operations.</summary>
public sealed record LockRelease(LockRef Lock, LockMode Mode, LockOwner Owner) : ITraceable
{
    public ulong TraceFingerprint => Lock.NameHash ^ (ulong)Owner.Id ^ ((ulong)Mode << 40) ^ 1;
}

/// <summary>The reply to a <see cref="LockRequest"/>: the lock is held.</summary>
public sealed class LockGranted
{
    public static LockGranted Instance { get; } = new();

    private LockGranted()
    {
    }
}

/// <summary>
/// The mmu_notifier SRCU. Shared is a read section (never waits); Exclusive is synchronize_srcu:
/// "granted" when every reader that started before it has finished, and not held afterwards.
/// </summary>
public sealed record NotifierSrcuRef : LockRef
{
    public static NotifierSrcuRef Instance { get; } = new();

    public override LockClass Class => LockClass.MmuNotifierSrcu;

    public override string Name => "mmu_notifier srcu";

    public override bool Acquire(KernelState state, LockOwner owner, LockMode mode)
    {
        if (mode == LockMode.Exclusive)
        {
            return state.NotifierSrcu.SynchronizeSrcu(owner);
        }

        if (!state.SrcuIdx.TryGetValue(owner, out Stack<int>? stack))
        {
            stack = new Stack<int>();
            state.SrcuIdx.Add(owner, stack);
        }

        stack.Push(state.NotifierSrcu.SrcuReadLock(owner));
        return true;
    }

    public override IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode)
    {
        Bug.On(mode != LockMode.Shared, "synchronize_srcu holds nothing to release");
        Stack<int> stack = state.SrcuIdx[owner];
        int idx = stack.Pop();
        if (stack.Count == 0)
        {
            state.SrcuIdx.Remove(owner);
        }

        return state.NotifierSrcu.SrcuReadUnlock(owner, idx);
    }

    /// <summary>The owners inside a read section: what synchronize_srcu waits for (those that began before it, at least).</summary>
    public override IReadOnlyList<LockHolder> Holders(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.SrcuIdx.Keys.OrderBy(o => o.Id).Select(o => new LockHolder(o, LockMode.Shared)).ToArray();
    }
}

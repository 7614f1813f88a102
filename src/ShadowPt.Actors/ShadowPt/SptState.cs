using ShadowPt.Kernel;

namespace ShadowPt.Spt;

/// <summary>
/// The one shadow page table of the system (the spec allows one open table at a time): who opened
/// it, which target and range it tracks, the kernel frames that hold it, and the lock that
/// serialises its writers. Lives in <see cref="KernelState"/>; touched only inside memory operations.
/// </summary>
public sealed class SptState
{
    /// <summary>Serialises writers of the table (spinlock, innermost in the lock order).</summary>
    public Spinlock Lock { get; } = new(LockClass.ShadowPtLock, "shadowpt_lock");

    public bool IsOpen { get; private set; }

    /// <summary>The inspector: the task that opened the table; only it may start, stop and close.</summary>
    public int OpenerPid { get; private set; }

    /// <summary>The inspector's mm, where the table is remapped.</summary>
    public MmId OpenerMm { get; private set; }

    public int TargetPid { get; private set; }

    /// <summary>The target's mm being tracked (changes at the target's execve).</summary>
    public MmId TargetMm { get; set; }

    /// <summary>First tracked address (page aligned).</summary>
    public VirtAddr Start { get; private set; }

    /// <summary>One past the last tracked address.</summary>
    public VirtAddr End { get; private set; }

    /// <summary>Where the table is mapped in the inspector.</summary>
    public VirtAddr UserEntries { get; private set; }

    /// <summary>Entries: one per page of [Start, End).</summary>
    public int EntryCount { get; private set; }

    /// <summary>The kernel frames holding the table, in order.</summary>
    public IReadOnlyList<Pfn> Frames { get; private set; } = [];

    /// <summary>Between shadowpt_start and shadowpt_stop: hooks and notifier update the table.</summary>
    public bool Tracking { get; set; }

    /// <summary>The notifier registered on the target's mm while tracking.</summary>
    public MmuNotifier? Subscription { get; set; }

    /// <summary>The VMA flags of the inspector's entries range before open, restored at close.</summary>
    public VmFlags SavedVmFlags { get; private set; }

    /// <summary>vm_pgoff of the entries range before open.</summary>
    public ulong SavedVmPgoff { get; private set; }

    /// <summary>Entries per frame boundary are not aligned: 24-byte entries span frames; words never do.</summary>
    public static (int Frame, int Offset) WordLocation(int entry, int word)
    {
        long byteOffset = ((long)entry * Spt.ShadowPteBytes) + (word * 8);
        return ((int)(byteOffset / (long)PageGeometry.PageSize), (int)(byteOffset % (long)PageGeometry.PageSize));
    }

    public void MarkOpen(int opener, MmId openerMm, int target, MmId targetMm, VirtAddr start, VirtAddr end, VirtAddr entries, IReadOnlyList<Pfn> frames, VmFlags savedFlags, ulong savedPgoff)
    {
        Bug.On(IsOpen, "shadowpt: open while open");
        IsOpen = true;
        OpenerPid = opener;
        OpenerMm = openerMm;
        TargetPid = target;
        TargetMm = targetMm;
        Start = start;
        End = end;
        UserEntries = entries;
        EntryCount = (int)((end - start + PageGeometry.PageSize - 1) / PageGeometry.PageSize);
        Frames = frames;
        SavedVmFlags = savedFlags;
        SavedVmPgoff = savedPgoff;
        Tracking = false;
        Subscription = null;
    }

    public void MarkClosed()
    {
        IsOpen = false;
        Tracking = false;
        Subscription = null;
        Frames = [];
        OpenerPid = 0;
        TargetPid = 0;
    }

    public VirtAddr PageOf(int entry) => Start + ((ulong)entry << PageGeometry.PageShift);

    /// <summary>
    /// Writes the three words of an entry. Caller holds the shadow lock: each word is stored with
    /// WRITE_ONCE for the lockless inspector, and writers assert that they are alone (ASSERT_EXCLUSIVE_WRITER).
    /// </summary>
    public void WriteEntry(FrameAllocator frames, int entry, ShadowPte value, Provenance who)
    {
        WriteWord(frames, entry, 0, value.Vaddr, who);
        WriteWord(frames, entry, 1, value.Pfn, who);
        WriteWord(frames, entry, 2, value.StateFlags, who);
    }

    /// <summary>Stores one word of an entry, marked as <paramref name="marking"/> says (the race checker sees how).</summary>
    public void WriteWord(FrameAllocator frames, int entry, int word, ulong value, Provenance who, AccessMarking marking = AccessMarking.MarkedExclusiveWriter)
    {
        ArgumentNullException.ThrowIfNull(frames);
        (int frame, int offset) = WordLocation(entry, word);
        frames.Instrumentation?.KernelStore(Frames[frame], offset, marking, value);
        frames.WriteU64(Frames[frame], offset, value, who);
    }

    public ShadowPte ReadEntry(FrameAllocator frames, int entry, Provenance who)
    {
        (int f0, int o0) = WordLocation(entry, 0);
        (int f1, int o1) = WordLocation(entry, 1);
        (int f2, int o2) = WordLocation(entry, 2);
        return new ShadowPte(frames.ReadU64(Frames[f0], o0, who), frames.ReadU64(Frames[f1], o1, who), frames.ReadU64(Frames[f2], o2, who));
    }

    /// <summary>The entries range of pages [<paramref name="range"/>) that the table covers, as entry indexes.</summary>
    public (int First, int End) EntriesOf(AddrRange range)
    {
        ulong lo = Math.Max(range.Start.Value, Start.Value);
        ulong hi = Math.Min(range.End.Value, End.Value);
        if (lo >= hi)
        {
            return (0, 0);
        }

        int first = (int)((lo - Start.Value) >> PageGeometry.PageShift);
        int end = (int)((hi - Start.Value + PageGeometry.PageSize - 1) >> PageGeometry.PageShift);
        return (first, Math.Min(end, EntryCount));
    }
}

/// <summary>The shadow page table's lock.</summary>
public sealed record ShadowPtLockRef : LockRef
{
    public static ShadowPtLockRef Instance { get; } = new();

    public override LockClass Class => LockClass.ShadowPtLock;

    public override string Name => "shadowpt_lock";

    public override bool Acquire(KernelState state, LockOwner owner, LockMode mode) => state.Extension<SptState>().Lock.Lock(owner);

    public override IReadOnlyList<LockGrant> Release(KernelState state, LockOwner owner, LockMode mode) =>
        state.Extension<SptState>().Lock.Unlock(owner) is { } grant ? [grant] : [];

    public override IReadOnlyList<LockHolder> Holders(KernelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.FindExtension<SptState>()?.Lock.Owner is LockOwner owner ? [new LockHolder(owner, LockMode.Exclusive)] : [];
    }
}

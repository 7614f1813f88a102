namespace ShadowPt.Kernel;

/// <summary>
/// struct userfaultfd_ctx: one userfaultfd, bound to the mm of the task that created it. Faults wait
/// on <see cref="FaultPending"/> until a reader moves their message to <see cref="Fault"/>; both are
/// woken by UFFDIO_COPY / ZEROPAGE / CONTINUE / WAKE / WRITEPROTECT on the range. Non-cooperative
/// events wait on <see cref="EventQueue"/> until read; <see cref="MmapChanging"/> counts them meanwhile.
/// Touched only inside memory operations.
/// </summary>
/// <remarks>fs/userfaultfd.c (fault_pending_wqh, fault_wqh, event_wqh, fd_wqh, mmap_changing, released).</remarks>
public sealed class UserfaultfdCtx
{
    public UserfaultfdCtx(int id, MmId mm)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(id);
        Id = id;
        Mm = mm;
    }

    /// <summary>The context's id (the anon inode's identity).</summary>
    public int Id { get; }

    /// <summary>ctx->mm: the address space whose faults it handles.</summary>
    public MmId Mm { get; }

    /// <summary>ctx->features, set by UFFDIO_API.</summary>
    public UffdFeatures Features { get; internal set; }

    /// <summary>UFFD_FEATURE_INITIALIZED: UFFDIO_API succeeded; every other ioctl needs it.</summary>
    public bool ApiDone { get; internal set; }

    /// <summary>ctx->released: the last descriptor was closed; faults no longer wait.</summary>
    public bool Released { get; internal set; }

    /// <summary>ctx->mmap_changing: non-cooperative events in flight; fill operations answer -EAGAIN meanwhile.</summary>
    public int MmapChanging { get; internal set; }

    /// <summary>Open descriptors (file references) of the context.</summary>
    public int FileRefs { get; internal set; }

    /// <summary>fault_pending_wqh: faults whose message nobody read yet.</summary>
    public List<UffdQueued> FaultPending { get; } = new();

    /// <summary>fault_wqh: faults whose message was read, still waiting to be woken.</summary>
    public List<UffdQueued> Fault { get; } = new();

    /// <summary>event_wqh: non-cooperative events not yet read, each with the task waiting for it.</summary>
    public List<UffdQueued> EventQueue { get; } = new();

    /// <summary>fd_wqh: tasks blocked in read().</summary>
    public List<int> Readers { get; } = new();

    /// <summary>Messages read, oldest first (bounded by <see cref="UffdApi.ReadLogMax"/>).</summary>
    public List<UffdMsg> ReadLog { get; } = new();

    /// <summary>Whether any task waits for a fault resolution.</summary>
    public bool HasBlockedFaults => FaultPending.Count > 0 || Fault.Count > 0;

    /// <summary>Queue sizes stay bounded and a task is queued at most once.</summary>
    public void AssertInvariants()
    {
        Bug.On(FaultPending.Count + Fault.Count + EventQueue.Count > UffdApi.QueuedMax, $"uffd ctx {Id}: too many queued messages");
        Bug.On(MmapChanging < 0, $"uffd ctx {Id}: negative mmap_changing");
        Bug.On(FileRefs < 0, $"uffd ctx {Id}: negative file references");
    }
}

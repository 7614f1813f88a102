using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>Why a range is invalidated (enum mmu_notifier_event).</summary>
public enum MmuNotifierEvent
{
    /// <summary>MMU_NOTIFY_UNMAP: the range is unmapped (munmap).</summary>
    Unmap,

    /// <summary>MMU_NOTIFY_CLEAR: PTEs are cleared (madvise DONTNEED, zap, COW replacement).</summary>
    Clear,

    /// <summary>MMU_NOTIFY_PROTECTION_VMA: the VMA's protection changes (mprotect).</summary>
    ProtectionVma,

    /// <summary>MMU_NOTIFY_PROTECTION_PAGE: one page's protection changes (write-protect for fork).</summary>
    ProtectionPage,

    /// <summary>MMU_NOTIFY_SOFT_DIRTY: soft-dirty tracking write-protects the range.</summary>
    SoftDirty,

    /// <summary>MMU_NOTIFY_RELEASE: the mm is torn down.</summary>
    Release,
}

/// <summary>struct mmu_notifier_range.</summary>
public readonly record struct MmuNotifierRange(MmId Mm, AddrRange Range, MmuNotifierEvent Event);

/// <summary>
/// struct mmu_notifier_ops. Callbacks run on the CPU that changes the page table, inside an SRCU
/// read section, as async kernel code (they may take locks and touch memory through the context).
/// </summary>
/// <remarks>mm/mmu_notifier.c, include/linux/mmu_notifier.h.</remarks>
public abstract class MmuNotifierOps
{
    /// <summary>Name for logs and reports.</summary>
    public abstract string Name { get; }

    /// <summary>invalidate_range_start: the PTEs in the range are about to change.</summary>
    public virtual ActorTask InvalidateRangeStart(KernelContext k, MmuNotifierRange range) => ActorTask.CompletedTask;

    /// <summary>invalidate_range_end: the PTEs in the range changed (and the TLB was flushed).</summary>
    public virtual ActorTask InvalidateRangeEnd(KernelContext k, MmuNotifierRange range) => ActorTask.CompletedTask;

    /// <summary>release: the mm is being torn down (exit_mmap); no callback follows.</summary>
    public virtual ActorTask Release(KernelContext k, MmId mm) => ActorTask.CompletedTask;
}

/// <summary>struct mmu_notifier: one registration of ops on one mm.</summary>
public sealed class MmuNotifier(long id, MmId mm, MmuNotifierOps ops)
{
    public long Id { get; } = id;

    public MmId Mm { get; } = mm;

    public MmuNotifierOps Ops { get; } = ops;

    public override string ToString() => $"mmu_notifier {Id} ({Ops.Name}) on {Mm}";
}

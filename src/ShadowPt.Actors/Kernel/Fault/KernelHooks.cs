using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// Places where a subsystem hooks into the core paths, besides the mmu_notifier: the shadow page
/// table's update_shadow_vaddr (VMA changes) and update_shadow_pte (the fault path's new mappings).
/// Called on the CPU making the change, with the change's locks held (documented per hook).
/// </summary>
public class KernelHooks
{
    /// <summary>No hooks: the core model alone.</summary>
    public static KernelHooks None { get; } = new();

    /// <summary>VMAs of <paramref name="mm"/> in <paramref name="range"/> changed (mmap, munmap, brk, mprotect, execve). Caller holds mmap_lock for write.</summary>
    public virtual ActorTask VmaChanged(KernelContext k, MmId mm, AddrRange range) => ActorTask.CompletedTask;

    /// <summary>A grows-down VMA of <paramref name="mm"/> grew over <paramref name="grown"/>. Caller holds mmap_lock for write.</summary>
    public virtual ActorTask OnStackExpanded(KernelContext k, MmId mm, AddrRange grown) => VmaChanged(k, mm, grown);

    /// <summary>The fault path mapped a page at <paramref name="address"/>. Caller holds mmap_lock for read and the PTE lock.</summary>
    public virtual ActorTask PteMapped(KernelContext k, MmId mm, VirtAddr address) => ActorTask.CompletedTask;

    /// <summary>Task <paramref name="pid"/> begins do_exit, its mm still intact. No locks held.</summary>
    public virtual ActorTask TaskExiting(KernelContext k, int pid) => ActorTask.CompletedTask;

    /// <summary>Task <paramref name="pid"/> replaced <paramref name="oldMm"/> by <paramref name="newMm"/> (execve), before the old one is released. No locks held.</summary>
    public virtual ActorTask Exec(KernelContext k, int pid, MmId oldMm, MmId newMm) => ActorTask.CompletedTask;
}

using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Spt;

/// <summary>
/// The shadow page table's hooks on the core paths: VMA changes and new PTEs in the tracked mm
/// update the table under the shadow lock; the inspector's exit cleans up as close would; the
/// target's execve moves tracking to its new mm.
/// </summary>
public sealed class ShadowHooks : KernelHooks
{
    /// <summary>The tracked mm id, or -1: read without the lock as a fast path (READ_ONCE); the write path re-checks under it.</summary>
    private long _trackedMm = -1;

    public ShadowHooks() => Notifier = new ShadowNotifierOps(this);

    /// <summary>The mmu_notifier ops registered on the target while tracking.</summary>
    public ShadowNotifierOps Notifier { get; }

    internal void SetTracked(MmId? mm) => Volatile.Write(ref _trackedMm, mm?.Value ?? -1);

    internal bool MayTrack(MmId mm) => Volatile.Read(ref _trackedMm) == mm.Value;

    public override ActorTask VmaChanged(KernelContext k, MmId mm, AddrRange range) =>
        MayTrack(mm) ? Update(k, mm, range, "update_shadow_vaddr") : ActorTask.CompletedTask;

    public override ActorTask OnStackExpanded(KernelContext k, MmId mm, AddrRange grown) =>
        k.Config.HasVariant(Variants.StackGrowthUntracked) ? ActorTask.CompletedTask : VmaChanged(k, mm, grown);

    public override ActorTask PteMapped(KernelContext k, MmId mm, VirtAddr address) =>
        MayTrack(mm) ? Update(k, mm, new AddrRange(address, address + PageGeometry.PageSize), "update_shadow_pte") : ActorTask.CompletedTask;

    public override async ActorTask TaskExiting(KernelContext k, int pid)
    {
        bool opener = await k.Mem("shadowpt exit check", s => s.Extension<SptState>() is { IsOpen: true } t && t.OpenerPid == pid);
        if (opener && !k.Config.HasVariant(Variants.InspectorExitLeaks))
        {
            await ShadowptSyscalls.Release(k, this);
        }
    }

    public override async ActorTask Exec(KernelContext k, int pid, MmId oldMm, MmId newMm)
    {
        bool target = await k.Mem("shadowpt exec check", s => s.Extension<SptState>() is { IsOpen: true, Tracking: true } t && t.TargetPid == pid && t.TargetMm == oldMm);
        if (target)
        {
            await ShadowptSyscalls.Track(k, this, newMm, following: oldMm);
        }
    }

    /// <summary>
    /// Rewrites the entries of <paramref name="range"/> from the truth, under the shadow lock, if <paramref name="mm"/> is tracked.
    /// A notifier callback passes the table its subscription belongs to (<paramref name="table"/>, the
    /// callback's <c>container_of(subscription)</c>): it loads the table's first word under the lock before
    /// anything else, so a callback that outlives its table (no synchronize_srcu before the free, or a
    /// subscription never removed) touches freed memory and is reported as a use after free.
    /// </summary>
    internal static async ActorTask Update(KernelContext k, MmId mm, AddrRange range, string what, IReadOnlyList<Pfn>? table = null)
    {
        string who = k.Label(what);
        if (k.Config.HasVariant(Variants.ShadowUpdateWithoutLock))
        {
            await ShadowUpdateVariants.UpdateWithoutLock(k, mm, range, what, who);
            return;
        }

        await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        if (k.Config.HasVariant(Variants.TornShadowEntry))
        {
            await ShadowUpdateVariants.UpdateTorn(k, mm, range, what, who);
        }
        else
        {
            await k.Mem(what, s =>
            {
                SptState t = s.Extension<SptState>();
                if (table is { Count: > 0 })
                {
                    s.Frames.ReadU64(table[0], 0, s.Who(who)); // the callback's load of its table (use after free if freed)
                }

                return t.IsOpen && t.Tracking && t.TargetMm == mm ? ShadowTruth.Refresh(s, t, range, s.Who(who)) : 0;
            });
        }

        k.Unlock(ShadowPtLockRef.Instance, LockMode.Exclusive);
    }
}

/// <summary>
/// The shadow table's mmu_notifier: PTE changes in the target's mm, and its teardown. One instance per
/// registration, bound to the table (its frames) it was registered for, as the kernel's callback finds
/// its table with container_of on the subscription.
/// </summary>
public sealed class ShadowNotifierOps(ShadowHooks hooks, IReadOnlyList<Pfn>? table = null) : MmuNotifierOps
{
    /// <summary>The frames of the table this registration belongs to (immutable; empty for an unbound instance).</summary>
    private readonly IReadOnlyList<Pfn> _table = table ?? [];

    public override string Name => "shadowpt";

    public override ActorTask InvalidateRangeStart(KernelContext k, MmuNotifierRange range) =>
        k.Config.HasVariant(Variants.ShadowUpdateAtInvalidateStart) ? ShadowHooks.Update(k, range.Mm, range.Range, "shadowpt_invalidate_range_start", _table) : ActorTask.CompletedTask;

    public override ActorTask InvalidateRangeEnd(KernelContext k, MmuNotifierRange range) =>
        k.Config.HasVariant(Variants.ShadowUpdateAtInvalidateStart) ? ActorTask.CompletedTask : ShadowHooks.Update(k, range.Mm, range.Range, "shadowpt_invalidate_range_end", _table);

    /// <summary>The target's mm is torn down: nothing is allocated any more; tracking ends.</summary>
    public override async ActorTask Release(KernelContext k, MmId mm)
    {
        string who = k.Label("shadowpt_release");
        await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        bool ended = await k.Mem("shadowpt_release", s =>
        {
            SptState t = s.Extension<SptState>();
            if (!t.IsOpen || !t.Tracking || t.TargetMm != mm)
            {
                return false;
            }

            t.Tracking = false;
            t.Subscription = null;
            for (int i = 0; i < t.EntryCount; i++)
            {
                t.WriteEntry(s.Frames, i, new ShadowPte(t.PageOf(i).Value, 0, 0), s.Who(who));
            }

            return true;
        });
        k.Unlock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        if (ended)
        {
            hooks.SetTracked(null);
        }
    }
}

/// <summary>The names of the bug variants the shadow subsystem knows (the correct model has none on).</summary>
public static class Variants
{
    public const string ShadowUpdateAtInvalidateStart = "shadow-update-at-invalidate-start";
    public const string ShadowUpdateWithoutLock = "shadow-update-without-lock";
    public const string TornShadowEntry = "torn-shadow-entry";
    public const string StackGrowthUntracked = "stack-growth-untracked";
    public const string InspectorExitLeaks = "inspector-exit-leaks";
    public const string CloseFreesBeforeZap = "close-frees-before-zap";
    public const string UnregisterWithoutSync = "unregister-without-sync";
    public const string StopKeepsNotifier = "stop-keeps-notifier";
    public const string AbbaMmapShadow = "abba-mmap-shadow";
}

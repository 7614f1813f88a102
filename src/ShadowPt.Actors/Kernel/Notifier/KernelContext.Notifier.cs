using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>mmu_notifier calls (mm/mmu_notifier.c), made by the CPU that changes the page table.</summary>
public sealed partial class KernelContext
{
    /// <summary>mmu_notifier_invalidate_range_start: every subscriber's callback, under SRCU.</summary>
    public async ActorTask MmuNotifierInvalidateRangeStart(MmuNotifierRange range)
    {
        MmuNotifier[] subscriptions = await SrcuEnter(range.Mm);
        foreach (MmuNotifier subscription in subscriptions)
        {
            await subscription.Ops.InvalidateRangeStart(this, range);
        }

        SrcuLeave(subscriptions);
    }

    /// <summary>mmu_notifier_invalidate_range_end: every subscriber's callback, under SRCU.</summary>
    public async ActorTask MmuNotifierInvalidateRangeEnd(MmuNotifierRange range)
    {
        MmuNotifier[] subscriptions = await SrcuEnter(range.Mm);
        foreach (MmuNotifier subscription in subscriptions)
        {
            await subscription.Ops.InvalidateRangeEnd(this, range);
        }

        SrcuLeave(subscriptions);
    }

    /// <summary>__mmu_notifier_release: the mm is torn down; each subscriber is told once and then unhooked.</summary>
    public async ActorTask MmuNotifierRelease(MmId mm)
    {
        MmuNotifier[] subscriptions = await SrcuEnter(mm);
        foreach (MmuNotifier subscription in subscriptions)
        {
            await subscription.Ops.Release(this, mm);
        }

        if (subscriptions.Length > 0)
        {
            await Mem("mmu_notifier_release", s => s.Mm(mm).Notifiers.RemoveAll(n => subscriptions.Contains(n)));
        }

        SrcuLeave(subscriptions);
    }

    /// <summary>mmu_notifier_register: subscribe <paramref name="ops"/> to <paramref name="mm"/>.</summary>
    public async ActorTask<MmuNotifier> MmuNotifierRegister(MmId mm, MmuNotifierOps ops)
    {
        return await Mem("mmu_notifier_register", s =>
        {
            var subscription = new MmuNotifier(s.NextNotifierId++, mm, ops);
            s.Mm(mm).Notifiers.Add(subscription);
            return subscription;
        });
    }

    /// <summary>
    /// mmu_notifier_unregister: unhook, then synchronize_srcu so that no callback of it is still
    /// running when this returns (the caller may then free what the callbacks touch).
    /// </summary>
    public async ActorTask MmuNotifierUnregister(MmuNotifier subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        await Mem("mmu_notifier_unregister", s => s.FindMm(subscription.Mm)?.Notifiers.Remove(subscription) ?? false);
        await SynchronizeSrcu();
    }

    /// <summary>synchronize_srcu on the notifier SRCU: waits for every read section that began before.</summary>
    public async ActorTask SynchronizeSrcu()
    {
        await Actor.Ask<LockGranted>(Memory, new LockRequest(NotifierSrcuRef.Instance, LockMode.Exclusive, Owner));
        RaiseSrcuSynchronized();
    }

    /// <summary>
    /// mm_has_notifiers, and if so srcu_read_lock, in one atomic step (a read section never waits);
    /// returns the subscribers of <paramref name="mm"/> at that moment, empty when none.
    /// </summary>
    private async ActorTask<MmuNotifier[]> SrcuEnter(MmId mm)
    {
        LockOwner owner = Owner;
        MmuNotifier[] subscriptions = await Mem("srcu_read_lock (mmu_notifier)", s =>
        {
            List<MmuNotifier>? list = s.FindMm(mm)?.Notifiers;
            if (list is null || list.Count == 0)
            {
                return [];
            }

            NotifierSrcuRef.Instance.Acquire(s, owner, LockMode.Shared);
            return list.ToArray();
        });
        if (subscriptions.Length > 0)
        {
            NoteHeld(NotifierSrcuRef.Instance, LockMode.Shared);
        }

        return subscriptions;
    }

    /// <summary>srcu_read_unlock, when <see cref="SrcuEnter"/> entered a read section.</summary>
    private void SrcuLeave(MmuNotifier[] subscriptions)
    {
        if (subscriptions.Length > 0)
        {
            Unlock(NotifierSrcuRef.Instance, LockMode.Shared);
        }
    }
}

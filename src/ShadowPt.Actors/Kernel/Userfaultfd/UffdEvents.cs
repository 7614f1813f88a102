using ShadowPt.Runtime.Async;

namespace ShadowPt.Kernel;

/// <summary>
/// The non-cooperative side of userfaultfd: fork (dup_userfaultfd), madvise(MADV_DONTNEED)
/// (userfaultfd_remove), munmap (userfaultfd_unmap_prep / _complete), and closing the last descriptor
/// (userfaultfd_release, here at the holder's exit). REMAP is never raised: the model has no mremap.
/// </summary>
/// <remarks>
/// fs/userfaultfd.c. An event increments the context's mmap_changing while the layout changes and the
/// task that changes it waits until the monitor has read the event (userfaultfd_event_wait_completion);
/// the fill ioctls answer -EAGAIN meanwhile. Without UFFD_FEATURE_EVENT_FORK a child's VMAs lose their
/// registration at fork, so its faults there are resolved as ordinary faults (zero pages).
/// </remarks>
public static class UffdEvents
{
    /// <summary>
    /// dup_userfaultfd, per VMA copied to <paramref name="newMm"/> (inside dup_mmap's memory operation,
    /// both mmap_locks held for write): with EVENT_FORK the child gets its own context (one per fork),
    /// bound to its mm, and a FORK event is owed; without it the VMA loses its VM_UFFD_* flags.
    /// </summary>
    public static VmFlags DupUserfaultfd(KernelState s, MmId oldMm, MmId newMm, VmFlags flags)
    {
        ArgumentNullException.ThrowIfNull(s);
        if ((flags & UffdApi.VmUffdFlags) == 0)
        {
            return flags;
        }

        UffdState u = s.Extension<UffdState>();
        UserfaultfdCtx? octx = u.RegisteredCtx(oldMm);
        if (octx is null || octx.Released || (octx.Features & UffdFeatures.EventFork) == 0)
        {
            return flags & ~UffdApi.VmUffdFlags;
        }

        if (u.RegisteredCtx(newMm) is null)
        {
            UserfaultfdCtx child = u.NewCtx(newMm);
            child.Features = octx.Features;
            child.ApiDone = true;
            child.FileRefs = 1; // held by the FORK event until a reader gets a descriptor for it
            u.SetRegistered(newMm, child);
            u.PendingForks.Add((octx.Id, child.Id));
            octx.MmapChanging++;
        }

        return flags;
    }

    /// <summary>The FORK event dup_userfaultfd owes for <paramref name="newMm"/> (parent and child context ids), taken; in dup_mmap's memory operation.</summary>
    public static (int Parent, int Child)? TakePendingFork(KernelState s, MmId newMm)
    {
        ArgumentNullException.ThrowIfNull(s);
        UffdState? u = s.FindExtension<UffdState>();
        int index = u?.PendingForks.FindIndex(f => u.Ctx(f.Child).Mm == newMm) ?? -1;
        if (u is null || index < 0)
        {
            return null;
        }

        (int parent, int child) = u.PendingForks[index];
        u.PendingForks.RemoveAt(index);
        return (parent, child);
    }

    /// <summary>dup_userfaultfd_complete: after fork's locks are released, report FORK and wait until it is read.</summary>
    public static ActorTask DupUserfaultfdComplete(KernelContext k, int parentCtx, int childCtx) =>
        EventWaitCompletion(k, parentCtx, new UffdMsg(UffdEvent.Fork, UffdPagefaultFlags.None, default, default, childCtx));

    /// <summary>
    /// userfaultfd_remove's check, inside madvise's memory operation with mmap_lock held for read: the id
    /// of a context with EVENT_REMOVE registered in the range (its mmap_changing counted), or 0.
    /// </summary>
    public static int RemovePrep(KernelState s, MmId mm, VirtAddr start, ulong length) => RangePrep(s, mm, start, length, UffdFeatures.EventRemove);

    /// <summary>userfaultfd_unmap_prep, inside munmap's memory operation with mmap_lock held for write; as <see cref="RemovePrep"/>.</summary>
    public static int UnmapPrep(KernelState s, MmId mm, VirtAddr start, ulong length) => RangePrep(s, mm, start, length, UffdFeatures.EventUnmap);

    /// <summary>The REMOVE or UNMAP message of a range.</summary>
    public static UffdMsg RangeMsg(UffdEvent ev, VirtAddr start, ulong length)
    {
        VirtAddr from = start.PageAlignDown();
        return new UffdMsg(ev, UffdPagefaultFlags.None, from, from + VirtAddr.PageAlignLength(length), 0);
    }

    private static int RangePrep(KernelState s, MmId mm, VirtAddr start, ulong length, UffdFeatures feature)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.FindExtension<UffdState>() is null || !UffdSyscalls.ValidRange(start.PageAlignDown(), VirtAddr.PageAlignLength(length)))
        {
            return 0;
        }

        return Prep(s, mm, new AddrRange(start.PageAlignDown(), start.PageAlignDown() + VirtAddr.PageAlignLength(length)), feature);
    }

    /// <summary>The context to tell about a change of <paramref name="range"/> (counted in its mmap_changing), or 0.</summary>
    private static int Prep(KernelState s, MmId mm, AddrRange range, UffdFeatures feature)
    {
        UffdState? u = s.FindExtension<UffdState>();
        UserfaultfdCtx? ctx = u?.RegisteredCtx(mm);
        if (ctx is null || ctx.Released || (ctx.Features & feature) == 0)
        {
            return 0;
        }

        MmStruct m = s.Mm(mm);
        bool registered = false;
        for (int i = m.Vmas.FindVmaIndex(range.Start); i < m.Vmas.Count && m.Vmas[i].VmStart < range.End; i++)
        {
            registered |= UffdApi.IsRegistered(m.Vmas[i]);
        }

        if (!registered)
        {
            return 0;
        }

        ctx.MmapChanging++; // atomic_inc(&ctx->mmap_changing) before the lock is dropped
        return ctx.Id;
    }

    /// <summary>
    /// userfaultfd_event_wait_completion: queue the event on event_wqh, wake the readers, and sleep until a
    /// reader took it (or the context was released). The caller already counted it in mmap_changing.
    /// </summary>
    public static async ActorTask EventWaitCompletion(KernelContext k, int ctxId, UffdMsg msg)
    {
        int pid = k.CurrentPid;
        bool wait = await k.Mem("userfaultfd_event_wait_completion", s =>
        {
            UffdState u = s.Extension<UffdState>();
            UserfaultfdCtx ctx = u.Ctx(ctxId);
            if (ctx.Released)
            {
                ctx.MmapChanging--;
                return false;
            }

            ctx.EventQueue.Add(new UffdQueued(pid, msg));
            u.NoteBlocked(pid, ctx);
            UffdSyscalls.WakeReaders(s, ctx);
            ctx.AssertInvariants();
            return true;
        });
        if (wait)
        {
            await UffdSyscalls.Schedule(k);
        }
    }

    /// <summary>userfaultfd_event_complete: the event was read (or dropped); its task goes on and mmap_changing drops.</summary>
    internal static void EventComplete(KernelState s, UserfaultfdCtx ctx, int waiterPid)
    {
        ctx.MmapChanging--;
        if (waiterPid != 0)
        {
            UffdState u = s.Extension<UffdState>();
            u.NoteRunning(waiterPid);
            u.Wake(s, waiterPid);
        }
    }

    /// <summary>
    /// userfaultfd_release for each context whose last descriptor closed (exit_files at do_exit): mark it
    /// released, drop the registrations of its mm (under mmap_lock for write when the mm still has
    /// users), wake every waiting fault and reader, complete pending events. No lock held.
    /// </summary>
    public static async ActorTask Release(KernelContext k, IReadOnlyList<UserfaultfdCtx> released)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(released);
        foreach (UserfaultfdCtx ctx in released)
        {
            MmId mm = ctx.Mm;
            bool alive = await k.Mem("mmget_not_zero", s => UffdSyscalls.MmgetNotZero(s, mm));
            if (alive)
            {
                await k.Lock(new MmapLockRef(mm), LockMode.Exclusive);
            }

            await k.Mem("userfaultfd_release", s => Release(s, ctx, alive));
            if (alive)
            {
                await k.VmaHooks.VmaChanged(k, mm, new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax)));
                k.Unlock(new MmapLockRef(mm), LockMode.Exclusive);
            }
        }
    }

    private static bool Release(KernelState s, UserfaultfdCtx ctx, bool alive)
    {
        UffdState u = s.Extension<UffdState>();
        ctx.Released = true;
        if (alive && u.RegisteredCtx(ctx.Mm) == ctx)
        {
            UffdRegistration.ClearAll(s.Mm(ctx.Mm));
        }

        if (u.RegisteredCtx(ctx.Mm) == ctx)
        {
            u.SetRegistered(ctx.Mm, null);
        }

        UffdSyscalls.WakeUserfault(s, ctx, new AddrRange(VirtAddr.Zero, new VirtAddr(PageGeometry.TaskSizeMax)));
        UffdSyscalls.WakeReaders(s, ctx);
        foreach (UffdQueued ev in ctx.EventQueue.ToArray())
        {
            ctx.EventQueue.Remove(ev);
            EventComplete(s, ctx, ev.Pid);
        }

        return true;
    }
}

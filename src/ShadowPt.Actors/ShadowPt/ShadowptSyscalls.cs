using ShadowPt.Kernel;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Spt;

/// <summary>
/// Syscalls 462–466 as the spec defines them. Every path states its locks: mmap_lock of the mm it
/// changes, then the shadow lock, never the other way round.
/// </summary>
public static partial class ShadowptSyscalls
{
    /// <summary>Registers the five syscalls; a machine booted with <see cref="ShadowHooks"/> can then use them.</summary>
    public static void Install()
    {
        ExtraSyscalls.Register<ShadowptOpenCall>(Open);
        ExtraSyscalls.Register<ShadowptCloseCall>((k, _) => Close(k));
        ExtraSyscalls.Register<ShadowptStartCall>((k, _) => Start(k));
        ExtraSyscalls.Register<ShadowptStopCall>((k, _) => Stop(k));
        ExtraSyscalls.Register<ShadowptPageContentsCall>(PageContents);
    }

    private static long Err(Errno e) => Syscalls.Err(e);

    /// <summary>
    /// shadowpt_open: validate, build the table in kernel frames, and remap them over the inspector's
    /// entries range (which must be an unpopulated anonymous mapping large enough, rounded up to pages).
    /// </summary>
    public static async ActorTask<long> Open(KernelContext k, ShadowptOpenCall call)
    {
        if (k.VmaHooks is not ShadowHooks)
        {
            return ExtraSyscalls.Enosys;
        }

        int caller = k.CurrentPid;
        MmId callerMm = k.Mm;
        (bool superuser, bool busy, MmId? targetMm) = await k.Mem("shadowpt_open checks", s =>
        {
            TaskStruct? target = s.FindTask(call.Target);
            MmId? mm = target is { Exited: false, Mm: MmStruct m } && !m.IsDead ? m.Id : null;
            return (s.Task(caller).Superuser, s.Extension<SptState>().IsOpen, mm);
        });
        if (!superuser)
        {
            return Err(Errno.EPERM);
        }

        if (busy)
        {
            return Err(Errno.EBUSY);
        }

        if (targetMm is not MmId target)
        {
            return Err(Errno.EINVAL);
        }

        ulong[]? header = await Uaccess.CopyFromUser(k, call.Dest, 3);
        if (header is null)
        {
            return Err(Errno.EFAULT);
        }

        (ulong start, ulong end, ulong entries) = (header[0], header[1], header[2]);
        if (start >= end || start % PageGeometry.PageSize != 0 || entries % PageGeometry.PageSize != 0 || end > PageGeometry.TaskSizeMax)
        {
            return Err(Errno.EINVAL);
        }

        if (end - start > Spt.MaxSptRange)
        {
            end = start + Spt.MaxSptRange; // truncate, keep start, tell the caller
            if (!await Uaccess.CopyToUser(k, call.Dest + 8, [end]))
            {
                return Err(Errno.EFAULT);
            }
        }

        int count = (int)((end - start + PageGeometry.PageSize - 1) / PageGeometry.PageSize);
        int pages = (int)((((long)count * Spt.ShadowPteBytes) + (long)PageGeometry.PageSize - 1) / (long)PageGeometry.PageSize);
        string who = k.Label("shadowpt_open");
        await k.MmapWriteLock(callerMm);
        await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        Errno error = await k.Mem("shadowpt_open remap_pfn_range", s =>
            Setup(s, caller, callerMm, call.Target, target, new VirtAddr(start), new VirtAddr(end), new VirtAddr(entries), pages, s.Who(who)));
        k.Unlock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        k.MmapWriteUnlock(callerMm);
        return error == Errno.None ? 0 : Err(error);
    }

    /// <summary>The atomic part of open. Caller holds the inspector's mmap_lock for write and the shadow lock.</summary>
    private static Errno Setup(KernelState s, int caller, MmId callerMm, int targetPid, MmId targetMm, VirtAddr start, VirtAddr end, VirtAddr entries, int pages, Provenance who)
    {
        SptState t = s.Extension<SptState>();
        if (t.IsOpen)
        {
            return Errno.EBUSY;
        }

        MmStruct mm = s.Mm(callerMm);
        VirtAddr entriesEnd = entries + ((ulong)pages << PageGeometry.PageShift);
        VmArea? vma = mm.Vmas.VmaLookup(entries);
        if (vma is null || vma.VmEnd < entriesEnd || !vma.IsAnonymous || (vma.VmFlags & VmFlagSets.Special) != 0 || (vma.VmFlags & VmFlags.Shared) != 0)
        {
            return Errno.EINVAL; // not an allocated anonymous range, or too small
        }

        for (VirtAddr a = entries; a < entriesEnd; a += PageGeometry.PageSize)
        {
            if (!mm.Pgd.GetPte(a).IsNone)
            {
                return Errno.EINVAL; // already mapped to physical pages
            }
        }

        var frames = new List<Pfn>(pages);
        for (int i = 0; i < pages; i++)
        {
            if (s.Frames.AllocPage(FrameKind.Kernel, who) is not Pfn pfn)
            {
                frames.ForEach(f => s.Frames.FreePage(f, who));
                return Errno.ENOMEM;
            }

            frames.Add(pfn);
        }

        // vma_modify: isolate exactly [entries, entriesEnd) in one VMA, then remap_pfn_range over it.
        int index = mm.Vmas.FindVmaIndex(entries);
        if (vma.VmStart < entries)
        {
            Vma.SplitVma(mm, index, entries);
            index++;
        }

        if (mm.Vmas[index].VmEnd > entriesEnd)
        {
            Vma.SplitVma(mm, index, entriesEnd);
        }

        ulong isolatedPgoff = mm.Vmas[index].VmPgoff;
        Errno remapped = RemapPfns.RemapPfnList(mm, entries, frames, who);
        Bug.On(remapped != Errno.None, $"shadowpt_open: remap failed with {remapped} after checks");

        // VM_DONTCOPY: a child the inspector forks must not inherit PTEs to frames that close frees.
        mm.Vmas.ReplaceAt(index, mm.Vmas[index].WithFlags(mm.Vmas[index].VmFlags | VmFlags.DontCopy));
        t.MarkOpen(caller, callerMm, targetPid, targetMm, start, end, entries, frames, vma.VmFlags, isolatedPgoff);
        for (int i = 0; i < t.EntryCount; i++)
        {
            t.WriteEntry(s.Frames, i, new ShadowPte(t.PageOf(i).Value, 0, 0), who);
        }

        return Errno.None;
    }

    /// <summary>Most times shadowpt_start looks up the target's mm again after it changed under the populate (execve).</summary>
    public const int StartAttemptsMax = 4;

    /// <summary>
    /// shadowpt_start: begin tracking and reset the table to the target's current state. Tracks the
    /// mm the target has now (a target that called execve since open is followed there); -EINVAL
    /// once the target has exited or is exiting.
    /// </summary>
    public static async ActorTask<long> Start(KernelContext k)
    {
        if (k.VmaHooks is not ShadowHooks hooks)
        {
            return ExtraSyscalls.Enosys;
        }

        (Errno error, _) = await CheckOpener(k);
        if (error != Errno.None)
        {
            return Err(error);
        }

        for (int attempt = 0; attempt < StartAttemptsMax; attempt++)
        {
            MmId? mm = await k.Mem("shadowpt_start target", s => LiveTargetMm(s, s.Extension<SptState>())?.Id);
            if (mm is not MmId target)
            {
                return Err(Errno.EINVAL);
            }

            if (await Track(k, hooks, target, following: null))
            {
                return 0;
            }
        }

        return Err(Errno.EINVAL);
    }

    /// <summary>The target's mm if it still has users (mmget_not_zero); null once the target exited or is exiting.</summary>
    private static MmStruct? LiveTargetMm(KernelState s, SptState t) =>
        s.FindTask(t.TargetPid) is { Exited: false, Mm: { IsDead: false, MmUsers: > 0 } mm } ? mm : null;

    /// <summary>
    /// Registers the notifier on <paramref name="mm"/> (if not yet), then under the target's
    /// mmap_lock (read) and the shadow lock repopulates every entry and turns tracking on — unless,
    /// by then, <paramref name="mm"/> is no longer the target's live mm (it called execve or began to
    /// exit: its release may already have run, and tracking it would never end), or, when
    /// <paramref name="following"/> is set (the execve hook), tracking of that mm was stopped meanwhile.
    /// Returns whether tracking is on for <paramref name="mm"/>; if not, nothing is left registered on it.
    /// </summary>
    internal static async ActorTask<bool> Track(KernelContext k, ShadowHooks hooks, MmId mm, MmId? following)
    {
        (MmuNotifier? existing, IReadOnlyList<Pfn> table) = await k.Mem("shadowpt subscription", s => (s.Extension<SptState>().Subscription, s.Extension<SptState>().Frames));
        MmuNotifier subscription = existing is not null && existing.Mm == mm ? existing : await k.MmuNotifierRegister(mm, new ShadowNotifierOps(hooks, table));

        // From here the hooks of mm take the slow path: a fault that maps a PTE after the populate
        // below (it holds mmap_lock for read too) must reach the table; the check under the shadow
        // lock decides whether it is tracked.
        hooks.SetTracked(mm);
        string who = k.Label("shadowpt_start populate");
        if (k.Config.HasVariant(Variants.AbbaMmapShadow))
        {
            // The bug: the shadow lock first, then mmap_lock (every other path nests them the other way).
            await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
            await k.MmapReadLock(mm);
        }
        else
        {
            await k.MmapReadLock(mm);
            await k.Lock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        }

        (bool tracking, MmuNotifier? replaced, MmId? trackedNow) = await k.Mem("shadowpt_start populate", s =>
        {
            SptState t = s.Extension<SptState>();
            bool stillFollowing = following is not MmId from || (t.Tracking && t.TargetMm == from);
            if (!t.IsOpen || !stillFollowing || LiveTargetMm(s, t)?.Id != mm)
            {
                return (false, (MmuNotifier?)null, t.Tracking ? t.TargetMm : (MmId?)null);
            }

            MmuNotifier? old = t.Subscription is { } previous && previous != subscription ? previous : null;
            t.TargetMm = mm;
            t.Subscription = subscription;
            t.Tracking = true;
            ShadowTruth.Refresh(s, t, new AddrRange(t.Start, t.End.PageAlignUp()), s.Who(who));
            return (true, old, mm);
        });
        k.Unlock(ShadowPtLockRef.Instance, LockMode.Exclusive);
        k.MmapReadUnlock(mm);
        hooks.SetTracked(trackedNow);
        if (!tracking && subscription != existing)
        {
            await k.MmuNotifierUnregister(subscription);
        }

        if (replaced is not null)
        {
            await k.MmuNotifierUnregister(replaced); // the registration on the mm before execve
        }

        return tracking;
    }

    /// <summary>shadowpt_stop: no more updates; the notifier is unregistered (and its callbacks drained).</summary>
    public static async ActorTask<long> Stop(KernelContext k)
    {
        if (k.VmaHooks is not ShadowHooks hooks)
        {
            return ExtraSyscalls.Enosys;
        }

        (Errno error, _) = await CheckOpener(k);
        if (error != Errno.None)
        {
            return Err(error);
        }

        await Untrack(k, hooks);
        return 0;
    }

    /// <summary>shadowpt_close: as if open had never happened; only the opener may.</summary>
    public static async ActorTask<long> Close(KernelContext k)
    {
        if (k.VmaHooks is not ShadowHooks hooks)
        {
            return ExtraSyscalls.Enosys;
        }

        (Errno error, _) = await CheckOpener(k);
        if (error != Errno.None)
        {
            return Err(error);
        }

        await Release(k, hooks);
        return 0;
    }

    /// <summary>The table must be open and the caller its opener: -EINVAL when none is open, -EPERM for anyone else.</summary>
    private static async ActorTask<(Errno Error, MmId TargetMm)> CheckOpener(KernelContext k)
    {
        int caller = k.CurrentPid;
        return await k.Mem("shadowpt opener check", s =>
        {
            SptState t = s.Extension<SptState>();
            return !t.IsOpen ? (Errno.EINVAL, default(MmId)) : t.OpenerPid != caller ? (Errno.EPERM, default(MmId)) : (Errno.None, t.TargetMm);
        });
    }

    /// <summary>
    /// shadowpt_page_contents: for a superuser, while tracking, when <paramref name="call"/>'s pfn is
    /// mapped by the target inside the range, copy that page to the user buffer.
    /// </summary>
    public static async ActorTask<long> PageContents(KernelContext k, ShadowptPageContentsCall call)
    {
        int caller = k.CurrentPid;
        string who = k.Label("shadowpt_page_contents");
        (Errno error, ulong[]? words) = await k.Mem("shadowpt_page_contents", s =>
        {
            if (!s.Task(caller).Superuser)
            {
                return (Errno.EPERM, (ulong[]?)null);
            }

            SptState t = s.Extension<SptState>();
            if (!t.IsOpen || !t.Tracking || s.FindMm(t.TargetMm) is not { IsDead: false } mm)
            {
                return (Errno.EINVAL, null);
            }

            for (VirtAddr a = t.Start; a < t.End; a += PageGeometry.PageSize)
            {
                Pte pte = mm.Pgd.GetPte(a);
                if (pte.IsPresent && pte.Pfn.Value == call.Pfn)
                {
                    var page = new ulong[PageGeometry.PageSize / 8];
                    for (int w = 0; w < page.Length; w++)
                    {
                        page[w] = s.Frames.ReadU64(pte.Pfn, w * 8, s.Who(who));
                    }

                    return (Errno.None, page);
                }
            }

            return (Errno.EINVAL, null);
        });
        if (error != Errno.None)
        {
            return Err(error);
        }

        return await Uaccess.CopyToUser(k, call.Buffer, words!) ? 0 : Err(Errno.EFAULT);
    }
}

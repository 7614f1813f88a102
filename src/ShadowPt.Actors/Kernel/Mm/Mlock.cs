namespace ShadowPt.Kernel;

/// <summary>The mlock family's VMA work: VM_LOCKED (and VM_LOCKONFAULT) on ranges and on the whole mm.</summary>
/// <remarks>
/// mm/mlock.c do_mlock, apply_vma_lock_flags, apply_mlockall_flags and mlock_fixup. VM_SPECIAL VMAs
/// are skipped silently, as the kernel does. Not modeled: RLIMIT_MEMLOCK (as if CAP_IPC_LOCK).
/// Populating locked pages is the caller's job (__mm_populate). Caller holds mmap_lock for write.
/// </remarks>
public static class Mlock
{
    /// <summary>mlock / mlock2: locks [start, start + length), widened to whole pages.</summary>
    public static FlagChangeResult DoMlock(MmStruct mm, VirtAddr start, ulong length, bool onFault = false)
    {
        VmFlags flags = VmFlags.Locked | (onFault ? VmFlags.LockOnFault : VmFlags.None);
        return ApplyToRange(mm, start, length, flags);
    }

    /// <summary>munlock: clears VM_LOCKED and VM_LOCKONFAULT on the range.</summary>
    public static FlagChangeResult DoMunlock(MmStruct mm, VirtAddr start, ulong length) => ApplyToRange(mm, start, length, VmFlags.None);

    /// <summary>mlockall / munlockall (flags none): def_flags for the future, every VMA for the present.</summary>
    public static FlagChangeResult DoMlockall(MmStruct mm, MlockallFlags flags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var changes = new List<VmaFlagChange>();
        if ((flags & ~(MlockallFlags.Current | MlockallFlags.Future | MlockallFlags.OnFault)) != 0 || flags == MlockallFlags.OnFault)
        {
            return new FlagChangeResult(Errno.EINVAL, changes);
        }

        bool onFault = (flags & MlockallFlags.OnFault) != 0;
        mm.DefFlags &= ~VmFlagSets.LockedMask;
        if ((flags & MlockallFlags.Future) != 0)
        {
            mm.DefFlags |= VmFlags.Locked | (onFault ? VmFlags.LockOnFault : VmFlags.None);
        }

        VmFlags toAdd = (flags & MlockallFlags.Current) != 0 ? VmFlags.Locked | (onFault ? VmFlags.LockOnFault : VmFlags.None) : VmFlags.None;
        if ((flags & MlockallFlags.Future) != 0 && (flags & MlockallFlags.Current) == 0)
        {
            return new FlagChangeResult(Errno.None, changes);
        }

        for (int index = 0; index < mm.Vmas.Count; index++)
        {
            VmArea vma = mm.Vmas[index];
            index = MlockFixup(mm, index, vma.VmStart, vma.VmEnd, (vma.VmFlags & ~VmFlagSets.LockedMask) | toAdd, changes).Index;
        }

        return new FlagChangeResult(Errno.None, changes);
    }

    private static FlagChangeResult ApplyToRange(MmStruct mm, VirtAddr start, ulong length, VmFlags flags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var changes = new List<VmaFlagChange>();
        ulong len = VirtAddr.PageAlignLength(length + (ulong)start.OffsetInPage);
        start = start.PageAlignDown();
        if (start.Value + len < start.Value || (len == 0 && length != 0))
        {
            return new FlagChangeResult(Errno.EINVAL, changes);
        }

        if (len == 0)
        {
            return new FlagChangeResult(Errno.None, changes);
        }

        return new FlagChangeResult(ApplyVmaLockFlags(mm, start, start + len, flags, changes), changes);
    }

    /// <summary>apply_vma_lock_flags: walks the VMAs of [start, end); a hole is ENOMEM.</summary>
    private static Errno ApplyVmaLockFlags(MmStruct mm, VirtAddr start, VirtAddr end, VmFlags flags, List<VmaFlagChange> changes)
    {
        int index = mm.Vmas.FindVmaIndex(start);
        if (index >= mm.Vmas.Count || mm.Vmas[index].VmStart > start)
        {
            return Errno.ENOMEM;
        }

        VirtAddr nstart = start;
        VirtAddr tmp = mm.Vmas[index].VmStart;
        for (int guard = 0; index < mm.Vmas.Count && mm.Vmas[index].VmStart < end; guard++)
        {
            Bug.On(guard > VmaTree.VmasMax, "mlock: runaway loop");
            VmArea vma = mm.Vmas[index];
            if (vma.VmStart != tmp)
            {
                return Errno.ENOMEM;
            }

            VmFlags newFlags = (vma.VmFlags & ~VmFlagSets.LockedMask) | flags;
            (Errno error, index) = MlockFixup(mm, index, nstart, VirtAddr.Min(vma.VmEnd, end), newFlags, changes);
            if (error != Errno.None)
            {
                return error;
            }

            tmp = mm.Vmas[index].VmEnd;
            nstart = tmp;
            index++;
        }

        return tmp < end ? Errno.ENOMEM : Errno.None;
    }

    /// <summary>mlock_fixup: skips VM_SPECIAL VMAs and unchanged flags, else vma_modify_flags.</summary>
    private static (Errno Error, int Index) MlockFixup(MmStruct mm, int index, VirtAddr start, VirtAddr end, VmFlags newFlags, List<VmaFlagChange> changes)
    {
        VmFlags oldFlags = mm.Vmas[index].VmFlags;
        if (newFlags == oldFlags || (oldFlags & VmFlagSets.Special) != 0)
        {
            return (Errno.None, index);
        }

        (Errno error, int result) = Vma.VmaModifyFlags(mm, index, start, end, newFlags);
        if (error == Errno.None)
        {
            changes.Add(new VmaFlagChange(new AddrRange(start, end), oldFlags, newFlags));
        }

        return (error, result);
    }
}

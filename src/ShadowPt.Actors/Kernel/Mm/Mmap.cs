namespace ShadowPt.Kernel;

/// <summary>
/// The mmap system call's VMA work (do_mmap and mmap_region): argument checks, placement, flag
/// computation, MAP_FIXED replacement, and merging with neighbours. Page population and page-table
/// work stay with the caller, which gets what it needs in <see cref="MmapResult"/>.
/// </summary>
/// <remarks>
/// mm/mmap.c do_mmap and mm/vma.c __mmap_region / vma_merge_new_range. Not modeled: RLIMIT_AS and
/// overcommit accounting (VM_ACCOUNT is set as the kernel sets it, but never refused), file
/// get_unmapped_area hooks, pkeys, MAP_HUGETLB, MAP_32BIT. Caller holds mmap_lock for write.
/// </remarks>
public static partial class Mmap
{
    private const Prot ProtMask = Prot.Read | Prot.Write | Prot.Exec | Prot.Sem;

    /// <summary>
    /// do_mmap: maps <paramref name="length"/> bytes at <paramref name="addr"/> (a hint unless MAP_FIXED).
    /// <paramref name="file"/> is null for MAP_ANONYMOUS, except that MAP_SHARED|MAP_ANONYMOUS needs
    /// <see cref="MappedFile.DevZeroShmem"/> (shmem_zero_setup gives such mappings a shmem file).
    /// </summary>
    public static MmapResult DoMmap(MmStruct mm, VirtAddr addr, ulong length, Prot prot, MapFlags flags, MappedFile? file, ulong pgoff)
    {
        ArgumentNullException.ThrowIfNull(mm);
        Errno error = CheckArguments(mm, addr, length, prot, flags, file, pgoff);
        if (error != Errno.None)
        {
            return MmapResult.Failed(error);
        }

        if ((flags & MapFlags.FixedNoReplace) != 0)
        {
            flags |= MapFlags.Fixed;
        }

        if ((flags & MapFlags.Fixed) == 0 && addr.Value != 0 && addr.Value < mm.Layout.MmapMinAddr)
        {
            addr = new VirtAddr(mm.Layout.MmapMinAddr).PageAlignUp();
        }

        ulong len = VirtAddr.PageAlignLength(length);
        bool anonymousPrivate = file is null && (flags & MapFlags.Type) == MapFlags.Private;
        (error, VirtAddr start) = UnmappedArea.GetUnmappedArea(mm, addr, len, anonymousPrivate, flags);
        if (error != Errno.None)
        {
            return MmapResult.Failed(error);
        }

        if ((flags & MapFlags.FixedNoReplace) != 0 && mm.Vmas.FindVmaIntersection(start, start + len) is not null)
        {
            return MmapResult.Failed(Errno.EEXIST);
        }

        (error, VmFlags vmFlags) = CalcVmFlags(mm, prot, flags, file);
        if (error != Errno.None)
        {
            return MmapResult.Failed(error);
        }

        ulong vmPgoff = (flags & MapFlags.Anonymous) == 0 ? pgoff : anonymousPrivate ? start.Vpn : 0;
        return MmapRegion(mm, start, len, vmFlags, file, vmPgoff, (flags & MapFlags.Populate) != 0);
    }

    /// <summary>
    /// mmap_region: unmaps whatever [start, start + length) held, then merges the new range into a
    /// neighbour or inserts a new VMA, and marks it VM_SOFTDIRTY (when soft-dirty is tracked).
    /// </summary>
    public static MmapResult MmapRegion(MmStruct mm, VirtAddr start, ulong length, VmFlags vmFlags, MappedFile? file, ulong pgoff, bool populate)
    {
        ArgumentNullException.ThrowIfNull(mm);
        VirtAddr end = start + length;
        MunmapResult unmapped = Vma.DoVmiAlignMunmap(mm, start, end);
        if (unmapped.Error != Errno.None)
        {
            return MmapResult.Failed(unmapped.Error);
        }

        var vma = new VmArea(start, end, vmFlags | SoftDirtyFlag(mm), pgoff, file);
        int index = Vma.MergeWithNeighbours(mm, mm.Vmas.Insert(vma));
        bool locked = (vmFlags & VmFlags.Locked) != 0;
        return new MmapResult(Errno.None, start, mm.Vmas[index], unmapped.Plan, populate || locked);
    }

    /// <summary>VM_SOFTDIRTY when the kernel tracks soft-dirty (CONFIG_MEM_SOFT_DIRTY), else nothing, as the kernel defines it.</summary>
    public static VmFlags SoftDirtyFlag(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.Layout.MemSoftDirty ? VmFlags.SoftDirty : VmFlags.None;
    }

    /// <summary>calc_vm_prot_bits: PROT_READ/WRITE/EXEC to VM_READ/WRITE/EXEC.</summary>
    public static VmFlags CalcVmProtBits(Prot prot) =>
        ((prot & Prot.Read) != 0 ? VmFlags.Read : 0) |
        ((prot & Prot.Write) != 0 ? VmFlags.Write : 0) |
        ((prot & Prot.Exec) != 0 ? VmFlags.Exec : 0);

    private static Errno CheckArguments(MmStruct mm, VirtAddr addr, ulong length, Prot prot, MapFlags flags, MappedFile? file, ulong pgoff)
    {
        MapFlags type = flags & MapFlags.Type;
        bool typeOk = type is MapFlags.Shared or MapFlags.Private or MapFlags.SharedValidate;
        bool anonymous = (flags & MapFlags.Anonymous) != 0;
        bool shmemOk = !anonymous || (type == MapFlags.Private ? file is null : file is { IsShmem: true });
        bool fixedAligned = (flags & (MapFlags.Fixed | MapFlags.FixedNoReplace)) == 0 || addr.IsPageAligned;
        ulong len = VirtAddr.PageAlignLength(length);
        if (length == 0 || !typeOk || !shmemOk || !fixedAligned || (prot & ~ProtMask) != 0)
        {
            return Errno.EINVAL;
        }

        if (!anonymous && file is null)
        {
            return Errno.EINVAL;
        }

        if (len == 0)
        {
            return Errno.ENOMEM;
        }

        if (pgoff + (len >> PageGeometry.PageShift) < pgoff)
        {
            return Errno.EOVERFLOW;
        }

        return mm.Vmas.Count > mm.Layout.MaxMapCount ? Errno.ENOMEM : Errno.None;
    }

    /// <summary>The vm_flags do_mmap computes, or EACCES / EINVAL as do_mmap refuses.</summary>
    private static (Errno Error, VmFlags Flags) CalcVmFlags(MmStruct mm, Prot prot, MapFlags flags, MappedFile? file)
    {
        VmFlags vmFlags = CalcVmProtBits(prot) | mm.DefFlags | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec;
        vmFlags |= (flags & MapFlags.GrowsDown) != 0 ? VmFlags.GrowsDown : 0;
        vmFlags |= (flags & MapFlags.Locked) != 0 ? VmFlags.Locked : 0;
        vmFlags |= (flags & MapFlags.Stack) != 0 ? VmFlags.NoHugePage : 0;
        bool shared = (flags & MapFlags.Type) != MapFlags.Private;
        if (shared && file is { IsShmem: false } && (prot & Prot.Write) != 0 && !file.Writable)
        {
            return (Errno.EACCES, 0);
        }

        if (shared && (vmFlags & VmFlags.GrowsDown) != 0 && file is { IsShmem: true })
        {
            return (Errno.EINVAL, 0);
        }

        if (shared)
        {
            vmFlags |= VmFlags.Shared | VmFlags.MayShare;
            vmFlags &= file is { Writable: false } ? ~(VmFlags.MayWrite | VmFlags.Shared) : ~VmFlags.None;
        }

        vmFlags |= (flags & MapFlags.NoReserve) != 0 ? VmFlags.NoReserve : 0;
        bool accountable = (vmFlags & (VmFlags.NoReserve | VmFlags.Shared | VmFlags.Write)) == VmFlags.Write;
        return (Errno.None, accountable ? vmFlags | VmFlags.Account : vmFlags);
    }
}

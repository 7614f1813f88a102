namespace ShadowPt.Kernel;

/// <summary>The mprotect system call's VMA work.</summary>
/// <remarks>
/// mm/mprotect.c do_mprotect_pkey and mprotect_fixup. The VMAs are changed one after another; a hole
/// or a refused VMA stops the walk with the earlier VMAs already changed, as in the kernel. The caller
/// applies change_protection to the PTEs of every returned change and flushes TLBs.
/// Caller holds mmap_lock for write.
/// </remarks>
public static class Mprotect
{
    private const Prot ProtAllowed = Prot.Read | Prot.Write | Prot.Exec | Prot.Sem | Prot.GrowsDown | Prot.GrowsUp;

    /// <summary>do_mprotect_pkey: gives [start, start + PAGE_ALIGN(length)) the protection <paramref name="prot"/>.</summary>
    public static FlagChangeResult DoMprotect(MmStruct mm, VirtAddr start, ulong length, Prot prot)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var changes = new List<VmaFlagChange>();
        Prot grows = prot & (Prot.GrowsDown | Prot.GrowsUp);
        prot &= ~(Prot.GrowsDown | Prot.GrowsUp);
        if (grows == (Prot.GrowsDown | Prot.GrowsUp) || grows == Prot.GrowsUp || !start.IsPageAligned || (prot & ~ProtAllowed) != 0)
        {
            return new FlagChangeResult(Errno.EINVAL, changes);
        }

        if (length == 0)
        {
            return new FlagChangeResult(Errno.None, changes);
        }

        ulong len = VirtAddr.PageAlignLength(length);
        if (len == 0 || start.Value + len <= start.Value)
        {
            return new FlagChangeResult(Errno.ENOMEM, changes);
        }

        VirtAddr end = start + len;
        int index = mm.Vmas.FindVmaIndex(start);
        if (index >= mm.Vmas.Count || mm.Vmas[index].VmStart >= end)
        {
            return new FlagChangeResult(Errno.ENOMEM, changes);
        }

        if (grows != 0)
        {
            if ((mm.Vmas[index].VmFlags & VmFlags.GrowsDown) == 0)
            {
                return new FlagChangeResult(Errno.EINVAL, changes);
            }

            start = mm.Vmas[index].VmStart;
        }
        else if (mm.Vmas[index].VmStart > start)
        {
            return new FlagChangeResult(Errno.ENOMEM, changes);
        }

        return new FlagChangeResult(ApplyProt(mm, index, start, end, Mmap.CalcVmProtBits(prot), changes), changes);
    }

    /// <summary>The loop of do_mprotect_pkey: <c>tmp</c> tracks where the next VMA must start, <c>nstart</c> where changing resumes.</summary>
    private static Errno ApplyProt(MmStruct mm, int index, VirtAddr start, VirtAddr end, VmFlags protBits, List<VmaFlagChange> changes)
    {
        VirtAddr nstart = start;
        VirtAddr tmp = mm.Vmas[index].VmStart;
        for (int guard = 0; index < mm.Vmas.Count && mm.Vmas[index].VmStart < end; guard++)
        {
            Bug.On(guard > VmaTree.VmasMax, "mprotect: runaway loop");
            VmArea vma = mm.Vmas[index];
            if (vma.VmStart != tmp)
            {
                return Errno.ENOMEM;
            }

            VmFlags newFlags = protBits | (vma.VmFlags & ~VmFlagSets.Access);
            if ((newFlags & ~(VmFlags)((ulong)newFlags >> 4) & VmFlagSets.Access) != 0)
            {
                return Errno.EACCES;
            }

            (Errno error, index) = MprotectFixup(mm, index, nstart, VirtAddr.Min(vma.VmEnd, end), newFlags, changes);
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

    /// <summary>mprotect_fixup: VM_ACCOUNT for newly writable private memory, then vma_modify_flags.</summary>
    private static (Errno Error, int Index) MprotectFixup(MmStruct mm, int index, VirtAddr start, VirtAddr end, VmFlags newFlags, List<VmaFlagChange> changes)
    {
        VmFlags oldFlags = mm.Vmas[index].VmFlags;
        if (newFlags == oldFlags)
        {
            return (Errno.None, index);
        }

        const VmFlags noCharge = VmFlags.Account | VmFlags.Write | VmFlags.HugeTlb | VmFlags.Shared | VmFlags.NoReserve;
        if ((newFlags & VmFlags.Write) != 0 && (oldFlags & noCharge) == 0)
        {
            newFlags |= VmFlags.Account;
        }

        (Errno error, int result) = Vma.VmaModifyFlags(mm, index, start, end, newFlags);
        if (error == Errno.None)
        {
            changes.Add(new VmaFlagChange(new AddrRange(start, end), oldFlags, newFlags));
        }

        return (error, result);
    }
}

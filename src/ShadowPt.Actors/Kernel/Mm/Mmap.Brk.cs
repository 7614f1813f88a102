namespace ShadowPt.Kernel;

/// <summary>The brk system call's VMA work.</summary>
public static partial class Mmap
{
    /// <summary>
    /// SYSCALL_DEFINE1(brk): moves the program break to <paramref name="brk"/>. Shrinking unmaps the
    /// freed pages; growing extends the heap VMA (or creates it) unless that would come within a page
    /// and the stack guard gap of the next VMA. Returns the new break, or the old one on failure.
    /// </summary>
    /// <remarks>mm/mmap.c brk and do_brk_flags. Not modeled: RLIMIT_DATA, brk randomization, COMPAT_BRK.</remarks>
    public static BrkResult SysBrk(MmStruct mm, VirtAddr brk)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var failed = new BrkResult(mm.Brk, UnmapPlan.Empty, default, false);
        if (brk < mm.StartBrk || brk.Value > mm.Layout.TaskSize)
        {
            return failed;
        }

        VirtAddr newBrk = brk.PageAlignUp();
        VirtAddr oldBrk = mm.Brk.PageAlignUp();
        if (newBrk == oldBrk)
        {
            mm.Brk = brk;
            return new BrkResult(brk, UnmapPlan.Empty, default, false);
        }

        return brk <= mm.Brk ? ShrinkBrk(mm, brk, newBrk, oldBrk, failed) : GrowBrk(mm, brk, newBrk, oldBrk, failed);
    }

    private static BrkResult ShrinkBrk(MmStruct mm, VirtAddr brk, VirtAddr newBrk, VirtAddr oldBrk, BrkResult failed)
    {
        VmArea? brkVma = mm.Vmas.FindVma(newBrk);
        if (brkVma is null || brkVma.VmStart >= oldBrk)
        {
            return failed;
        }

        VirtAddr origBrk = mm.Brk;
        mm.Brk = brk;
        MunmapResult unmapped = Vma.DoVmiAlignMunmap(mm, newBrk, oldBrk);
        if (unmapped.Error != Errno.None)
        {
            mm.Brk = origBrk;
            return failed;
        }

        return new BrkResult(brk, unmapped.Plan, default, false);
    }

    private static BrkResult GrowBrk(MmStruct mm, VirtAddr brk, VirtAddr newBrk, VirtAddr oldBrk, BrkResult failed)
    {
        ulong length = newBrk - oldBrk;
        if (mm.Layout.TaskSize - length < oldBrk.Value || oldBrk.Value < mm.Layout.MmapMinAddr)
        {
            return failed;
        }

        int nextIndex = mm.Vmas.FindVmaIndex(oldBrk);
        VmArea? next = nextIndex < mm.Vmas.Count ? mm.Vmas[nextIndex] : null;
        if (next is not null && (newBrk + PageGeometry.PageSize) > next.VmStartGap(mm.Layout.StackGuardGapBytes))
        {
            return failed;
        }

        VmArea? brkVma = mm.Vmas.Prev(nextIndex);
        if (brkVma is not null && brkVma.VmEnd <= mm.StartBrk)
        {
            brkVma = null;
        }

        if (DoBrkFlags(mm, brkVma, oldBrk, length) != Errno.None)
        {
            return failed;
        }

        mm.Brk = brk;
        bool populate = (mm.DefFlags & VmFlags.Locked) != 0;
        return new BrkResult(brk, UnmapPlan.Empty, new AddrRange(oldBrk, newBrk), populate);
    }

    /// <summary>do_brk_flags: extends the heap VMA that ends at <paramref name="addr"/> or inserts a new anonymous VMA.</summary>
    private static Errno DoBrkFlags(MmStruct mm, VmArea? brkVma, VirtAddr addr, ulong length)
    {
        VmFlags flags = VmFlagSets.DataDefault | VmFlags.Account | mm.DefFlags;
        if (mm.Vmas.Count > mm.Layout.MaxMapCount)
        {
            return Errno.ENOMEM;
        }

        var grown = new VmArea(addr, addr + length, flags | SoftDirtyFlag(mm), addr.Vpn);
        if (brkVma is not null && brkVma.VmEnd == addr && Vma.CanMerge(brkVma, grown))
        {
            int index = mm.Vmas.IndexOf(brkVma);
            mm.Vmas.ReplaceAt(index, new VmArea(brkVma.VmStart, grown.VmEnd, brkVma.VmFlags | SoftDirtyFlag(mm), brkVma.VmPgoff, null, brkVma.AnonVma));
            return Errno.None;
        }

        mm.Vmas.Insert(grown);
        return Errno.None;
    }
}

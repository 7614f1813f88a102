namespace ShadowPt.Kernel;

/// <summary>
/// VMA surgery: merge rules, splitting, flag changes over a sub-range, and munmap's detach.
/// Every function is called with mmap_lock held for write.
/// </summary>
/// <remarks>
/// mm/vma.c: is_mergeable_vma, is_mergeable_anon_vma, can_vma_merge_before/after, split_vma,
/// vma_modify_flags, do_vmi_munmap and vms_gather_munmap_vmas. Simplified: merging considers only
/// the two immediate neighbours of the changed range (which is what the kernel does too), and the
/// anon_vma rule ignores the anon_vma_chain singularity test that matters only after fork.
/// </remarks>
public static class Vma
{
    /// <summary>is_mergeable_vma + is_mergeable_anon_vma: same flags (soft-dirty aside), file and compatible anon_vma.</summary>
    public static bool IsMergeable(VmArea a, VmArea b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        bool sameFlags = ((a.VmFlags ^ b.VmFlags) & ~VmFlagSets.IgnoreMerge) == 0;
        bool anonOk = a.AnonVma == 0 || b.AnonVma == 0 || a.AnonVma == b.AnonVma;
        return sameFlags && anonOk && Equals(a.VmFile, b.VmFile) && (a.VmFlags & VmFlagSets.Special) == 0;
    }

    /// <summary>True when <paramref name="prev"/> ends where <paramref name="next"/> starts and the two may become one VMA.</summary>
    public static bool CanMerge(VmArea prev, VmArea next)
    {
        ArgumentNullException.ThrowIfNull(prev);
        ArgumentNullException.ThrowIfNull(next);
        return prev.VmEnd == next.VmStart && IsMergeable(prev, next) && prev.VmPgoff + prev.Pages == next.VmPgoff;
    }

    /// <summary>split_vma: like <see cref="VmaTree.SplitAt"/> but fails with ENOMEM at the map-count limit.</summary>
    public static Errno SplitVma(MmStruct mm, int index, VirtAddr address)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (mm.Vmas.Count >= mm.Layout.MaxMapCount)
        {
            return Errno.ENOMEM;
        }

        mm.Vmas.SplitAt(index, address);
        return Errno.None;
    }

    /// <summary>
    /// Merges the VMA at <paramref name="index"/> with compatible neighbours. Returns the index of the
    /// VMA that now covers its range.
    /// </summary>
    public static int MergeWithNeighbours(MmStruct mm, int index)
    {
        ArgumentNullException.ThrowIfNull(mm);
        VmaTree vmas = mm.Vmas;
        Bug.On(index < 0 || index >= vmas.Count, "MergeWithNeighbours: index out of range");
        if (vmas.Next(index) is VmArea next && CanMerge(vmas[index], next))
        {
            vmas.ReplaceAt(index, Merged(vmas[index], vmas.RemoveAt(index + 1)));
        }

        if (vmas.Prev(index) is VmArea prev && CanMerge(prev, vmas[index]))
        {
            VmArea merged = Merged(prev, vmas.RemoveAt(index));
            index--;
            vmas.ReplaceAt(index, merged);
        }

        return index;
    }

    /// <summary>
    /// vma_modify_flags: gives [start, end), which lies inside the VMA at <paramref name="index"/>, the
    /// flags <paramref name="newFlags"/>, splitting at both ends and merging with neighbours. Returns the
    /// error and the index of the VMA that now covers [start, end).
    /// </summary>
    public static (Errno Error, int Index) VmaModifyFlags(MmStruct mm, int index, VirtAddr start, VirtAddr end, VmFlags newFlags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        VmArea vma = mm.Vmas[index];
        Bug.On(start < vma.VmStart || end > vma.VmEnd || end <= start, "VmaModifyFlags: range not inside the VMA");
        VmArea changed = vma.WithRange(start, end).WithFlags(newFlags);
        bool mergesLeft = start == vma.VmStart && mm.Vmas.Prev(index) is VmArea prev && CanMerge(prev, changed);
        bool mergesRight = end == vma.VmEnd && mm.Vmas.Next(index) is VmArea next && CanMerge(changed, next);
        if (start > vma.VmStart)
        {
            Errno error = mergesRight ? Split(mm, index, start) : SplitVma(mm, index, start);
            if (error != Errno.None)
            {
                return (error, index);
            }

            index++;
        }

        if (end < mm.Vmas[index].VmEnd)
        {
            Errno error = mergesLeft ? Split(mm, index, end) : SplitVma(mm, index, end);
            if (error != Errno.None)
            {
                return (error, index);
            }
        }

        mm.Vmas.ReplaceAt(index, mm.Vmas[index].WithFlags(newFlags));
        return (Errno.None, MergeWithNeighbours(mm, index));
    }

    /// <summary>
    /// do_vmi_munmap: removes [start, start + PAGE_ALIGN(length)) from the VMA set, splitting the VMAs at
    /// both ends. An empty range or one with no VMA is success with nothing removed.
    /// </summary>
    public static MunmapResult DoVmiMunmap(MmStruct mm, VirtAddr start, ulong length)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ulong taskSize = mm.Layout.TaskSize;
        if (!start.IsPageAligned || start.Value > taskSize || length > taskSize - start.Value)
        {
            return new MunmapResult(Errno.EINVAL, UnmapPlan.Empty);
        }

        ulong alignedLength = VirtAddr.PageAlignLength(length);
        if (alignedLength == 0)
        {
            return new MunmapResult(Errno.EINVAL, UnmapPlan.Empty);
        }

        return DoVmiAlignMunmap(mm, start, start + alignedLength);
    }

    /// <summary>do_vmi_align_munmap on a page-aligned [start, end): split, detach, and describe what to free.</summary>
    public static MunmapResult DoVmiAlignMunmap(MmStruct mm, VirtAddr start, VirtAddr end)
    {
        ArgumentNullException.ThrowIfNull(mm);
        Bug.On(!start.IsPageAligned || !end.IsPageAligned || end <= start, "DoVmiAlignMunmap: bad range");
        VmaTree vmas = mm.Vmas;
        int index = vmas.FindVmaIndex(start);
        if (index >= vmas.Count || vmas[index].VmStart >= end)
        {
            return new MunmapResult(Errno.None, UnmapPlan.Empty);
        }

        if (start > vmas[index].VmStart)
        {
            if (end < vmas[index].VmEnd && vmas.Count >= mm.Layout.MaxMapCount)
            {
                return new MunmapResult(Errno.ENOMEM, UnmapPlan.Empty);
            }

            index = vmas.SplitAt(index, start);
        }

        return new MunmapResult(Errno.None, Detach(mm, index, end));
    }

    private static UnmapPlan Detach(MmStruct mm, int index, VirtAddr end)
    {
        VmaTree vmas = mm.Vmas;
        var removed = new List<VmArea>();
        for (int guard = 0; index < vmas.Count && vmas[index].VmStart < end; guard++)
        {
            Bug.On(guard > VmaTree.VmasMax, "Detach: runaway loop");
            if (end < vmas[index].VmEnd)
            {
                vmas.SplitAt(index, end);
            }

            removed.Add(vmas.RemoveAt(index));
        }

        VirtAddr floor = vmas.Prev(index)?.VmEnd ?? VirtAddr.Zero;
        VirtAddr ceiling = index < vmas.Count ? vmas[index].VmStart : VirtAddr.Zero;
        return new UnmapPlan(removed, new AddrRange(removed[0].VmStart, removed[^1].VmEnd), floor, ceiling);
    }

    private static Errno Split(MmStruct mm, int index, VirtAddr address)
    {
        mm.Vmas.SplitAt(index, address);
        return Errno.None;
    }

    private static VmArea Merged(VmArea prev, VmArea next)
    {
        VmFlags flags = prev.VmFlags | (next.VmFlags & VmFlagSets.IgnoreMerge);
        long anonVma = prev.AnonVma != 0 ? prev.AnonVma : next.AnonVma;
        return new VmArea(prev.VmStart, next.VmEnd, flags, prev.VmPgoff, prev.VmFile, anonVma);
    }
}

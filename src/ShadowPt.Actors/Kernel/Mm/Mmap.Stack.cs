namespace ShadowPt.Kernel;

/// <summary>The initial stack and its growth.</summary>
public static partial class Mmap
{
    /// <summary>
    /// __bprm_mm_init + setup_arg_pages: the initial stack VMA of execve, ending at STACK_TOP with
    /// <see cref="MmLayout.InitialStackPages"/> pages, VM_STACK_FLAGS plus def_flags; sets start_stack.
    /// </summary>
    public static VmArea SetupArgPages(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        var top = new VirtAddr(mm.Layout.StackTop);
        VirtAddr start = top - (mm.Layout.InitialStackPages << PageGeometry.PageShift);
        Bug.On(mm.Vmas.FindVmaIntersection(start, top) is not null, "SetupArgPages: stack range already mapped");
        var stack = new VmArea(start, top, VmFlagSets.Stack | mm.DefFlags, start.Vpn);
        mm.Vmas.Insert(stack);
        mm.StartStack = top - PageGeometry.PageSize;
        return stack;
    }

    /// <summary>
    /// The fault path's stack lookup (lock_mm_and_find_vma / expand_stack): the VMA containing
    /// <paramref name="address"/>, or the grows-down VMA above it expanded to cover it. EFAULT means
    /// a bad area (SIGSEGV); ENOMEM and EPERM mean the expansion was refused (also SIGSEGV).
    /// </summary>
    /// <remarks>Caller holds mmap_lock for write when the stack must grow (the kernel upgrades the lock).</remarks>
    public static ExpandResult ExpandStack(MmStruct mm, VirtAddr address)
    {
        ArgumentNullException.ThrowIfNull(mm);
        int index = mm.Vmas.FindVmaIndex(address);
        if (index < mm.Vmas.Count && mm.Vmas[index].VmStart <= address)
        {
            return new ExpandResult(Errno.None, mm.Vmas[index], default);
        }

        if (index >= mm.Vmas.Count || (mm.Vmas[index].VmFlags & VmFlags.GrowsDown) == 0)
        {
            return new ExpandResult(Errno.EFAULT, null, default);
        }

        return ExpandDownwards(mm, index, address);
    }

    /// <summary>
    /// expand_downwards: grows the VM_GROWSDOWN VMA at <paramref name="index"/> down to the page of
    /// <paramref name="address"/>, keeping stack_guard_gap above an accessible VMA below, within RLIMIT_STACK.
    /// </summary>
    public static ExpandResult ExpandDownwards(MmStruct mm, int index, VirtAddr address)
    {
        ArgumentNullException.ThrowIfNull(mm);
        VmArea vma = mm.Vmas[index];
        Bug.On((vma.VmFlags & VmFlags.GrowsDown) == 0, "ExpandDownwards: VMA does not grow down");
        address = address.PageAlignDown();
        if (address.Value < mm.Layout.MmapMinAddr)
        {
            return new ExpandResult(Errno.EPERM, vma, default);
        }

        VmArea? prev = mm.Vmas.Prev(index);
        if (prev is not null && address < prev.VmEnd)
        {
            return new ExpandResult(Errno.ENOMEM, vma, default);
        }

        bool guardBreached = prev is not null && (prev.VmFlags & VmFlags.GrowsDown) == 0 && prev.IsAccessible
            && address - prev.VmEnd < mm.Layout.StackGuardGapBytes;
        if (guardBreached)
        {
            return new ExpandResult(Errno.ENOMEM, vma, default);
        }

        if (address >= vma.VmStart)
        {
            return new ExpandResult(Errno.None, vma, default);
        }

        if (vma.VmEnd - address > mm.Layout.StackRlimitBytes)
        {
            return new ExpandResult(Errno.ENOMEM, vma, default);
        }

        VmArea grown = vma.WithRange(address, vma.VmEnd);
        mm.Vmas.ReplaceAt(index, grown);
        return new ExpandResult(Errno.None, grown, new AddrRange(address, vma.VmStart));
    }
}

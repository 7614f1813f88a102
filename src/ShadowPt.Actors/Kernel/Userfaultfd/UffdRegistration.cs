namespace ShadowPt.Kernel;

/// <summary>The VMA work of UFFDIO_REGISTER and UFFDIO_UNREGISTER, as pure functions on an mm.</summary>
/// <remarks>fs/userfaultfd.c userfaultfd_register / userfaultfd_unregister, mm/userfaultfd.c userfaultfd_register_range, include/linux/userfaultfd_k.h vma_can_userfault. Caller holds mmap_lock for write.</remarks>
public static class UffdRegistration
{
    /// <summary>vma_can_userfault: MINOR needs shmem; anything needs anonymous memory or shmem; no special mappings.</summary>
    public static bool VmaCanUserfault(VmArea vma, VmFlags uffdFlags)
    {
        ArgumentNullException.ThrowIfNull(vma);
        bool shmem = vma.VmFile?.IsShmem == true;
        if ((vma.VmFlags & VmFlagSets.Special) != 0)
        {
            return false;
        }

        if ((uffdFlags & UffdApi.VmUffdMinor) != 0 && !shmem)
        {
            return false;
        }

        return vma.IsAnonymous || shmem;
    }

    /// <summary>
    /// Registers [start, end) of <paramref name="mm"/> in the VM_UFFD_* <paramref name="uffdFlags"/>:
    /// -EINVAL for a hole or a VMA that cannot userfault, -EPERM for a shared mapping without write
    /// permission, -EBUSY when the range (or, in the model, the mm) is registered with another context.
    /// </summary>
    public static Errno Register(MmStruct mm, UffdState u, UserfaultfdCtx ctx, VirtAddr start, VirtAddr end, VmFlags uffdFlags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(ctx);
        Errno covered = CheckCovered(mm, start, end, vma =>
        {
            if (!VmaCanUserfault(vma, uffdFlags))
            {
                return Errno.EINVAL;
            }

            if ((vma.VmFlags & VmFlags.Shared) != 0 && (vma.VmFlags & VmFlags.MayWrite) == 0)
            {
                return Errno.EPERM;
            }

            return Errno.None;
        });
        if (covered != Errno.None)
        {
            return covered;
        }

        if (u.RegisteredCtx(mm.Id) is { } other && other != ctx && mm.Vmas.All.Any(UffdApi.IsRegistered))
        {
            return Errno.EBUSY;
        }

        u.SetRegistered(mm.Id, ctx);
        return ChangeFlags(mm, start, end, flags => (flags & ~UffdApi.VmUffdFlags) | uffdFlags);
    }

    /// <summary>UFFDIO_UNREGISTER: clears the registration of [start, end); -EINVAL for a hole or a VMA that cannot userfault.</summary>
    public static Errno Unregister(MmStruct mm, UffdState u, VirtAddr start, VirtAddr end)
    {
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(u);
        Errno covered = CheckCovered(mm, start, end, vma => VmaCanUserfault(vma, VmFlags.None) ? Errno.None : Errno.EINVAL);
        if (covered != Errno.None)
        {
            return covered;
        }

        Errno error = ChangeFlags(mm, start, end, flags => flags & ~UffdApi.VmUffdFlags);
        if (!mm.Vmas.All.Any(UffdApi.IsRegistered))
        {
            u.SetRegistered(mm.Id, null);
        }

        return error;
    }

    /// <summary>userfaultfd_release and dup_userfaultfd without EVENT_FORK: every VMA of the mm loses its registration.</summary>
    public static void ClearAll(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        for (int i = 0; i < mm.Vmas.Count; i++)
        {
            VmArea vma = mm.Vmas[i];
            if (UffdApi.IsRegistered(vma))
            {
                i = Vma.VmaModifyFlags(mm, i, vma.VmStart, vma.VmEnd, vma.VmFlags & ~UffdApi.VmUffdFlags).Index;
            }
        }
    }

    /// <summary>The range has no hole and every VMA in it passes <paramref name="check"/>.</summary>
    private static Errno CheckCovered(MmStruct mm, VirtAddr start, VirtAddr end, Func<VmArea, Errno> check)
    {
        VirtAddr at = start;
        for (int i = mm.Vmas.FindVmaIndex(start); i < mm.Vmas.Count && at < end; i++)
        {
            VmArea vma = mm.Vmas[i];
            if (vma.VmStart > at)
            {
                return Errno.EINVAL; // a hole
            }

            Errno error = check(vma);
            if (error != Errno.None)
            {
                return error;
            }

            at = vma.VmEnd;
        }

        return at < end ? Errno.EINVAL : Errno.None;
    }

    private static Errno ChangeFlags(MmStruct mm, VirtAddr start, VirtAddr end, Func<VmFlags, VmFlags> change)
    {
        for (int i = mm.Vmas.FindVmaIndex(start); i < mm.Vmas.Count && mm.Vmas[i].VmStart < end; i++)
        {
            VmArea vma = mm.Vmas[i];
            VirtAddr from = vma.VmStart > start ? vma.VmStart : start;
            VirtAddr to = vma.VmEnd < end ? vma.VmEnd : end;
            VmFlags flags = change(vma.VmFlags);
            if (flags == vma.VmFlags)
            {
                continue;
            }

            (Errno error, int index) = Vma.VmaModifyFlags(mm, i, from, to, flags);
            if (error != Errno.None)
            {
                return error;
            }

            i = index;
        }

        return Errno.None;
    }
}

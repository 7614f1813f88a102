namespace ShadowPt.Kernel;

/// <summary>
/// Finding room for a new mapping: x86-64's top-down search below mmap_base, the bottom-up fallback,
/// hints, and the THP alignment of large anonymous mappings. Deterministic: no randomization.
/// </summary>
/// <remarks>
/// arch/x86/kernel/sys_x86_64.c (arch_get_unmapped_area_topdown, arch_get_unmapped_area,
/// mmap_address_hint_valid), mm/mmap.c (__get_unmapped_area, unmapped_area_topdown, unmapped_area)
/// and mm/huge_memory.c (__thp_get_unmapped_area). Gaps respect the stack guard gap below
/// VM_GROWSDOWN VMAs (vm_start_gap). Caller holds mmap_lock.
/// </remarks>
public static class UnmappedArea
{
    /// <summary>
    /// __get_unmapped_area: where a mapping of <paramref name="length"/> bytes (page aligned) goes.
    /// MAP_FIXED takes <paramref name="hint"/> as is, after the range checks.
    /// </summary>
    public static (Errno Error, VirtAddr Address) GetUnmappedArea(MmStruct mm, VirtAddr hint, ulong length, bool anonymousPrivate, MapFlags flags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        MmLayout layout = mm.Layout;
        if (length > layout.TaskSize)
        {
            return (Errno.ENOMEM, VirtAddr.Zero);
        }

        (Errno error, ulong addr) = (flags & MapFlags.Fixed) != 0
            ? (Errno.None, hint.Value)
            : FindArea(mm, hint.Value, length, anonymousPrivate);
        if (error != Errno.None)
        {
            return (error, VirtAddr.Zero);
        }

        if (addr > layout.TaskSize - length)
        {
            return (Errno.ENOMEM, VirtAddr.Zero);
        }

        if ((addr & ~PageGeometry.PageMask) != 0)
        {
            return (Errno.EINVAL, VirtAddr.Zero);
        }

        return addr < layout.MmapMinAddr ? (Errno.EPERM, VirtAddr.Zero) : (Errno.None, new VirtAddr(addr));
    }

    private static (Errno Error, ulong Address) FindArea(MmStruct mm, ulong hint, ulong length, bool anonymousPrivate)
    {
        bool thp = mm.Layout.ThpAlignAnonymous && anonymousPrivate && hint == 0 && (length & (PageGeometry.PmdSize - 1)) == 0;
        if (thp && ThpGetUnmappedArea(mm, length) is ulong aligned)
        {
            return (Errno.None, aligned);
        }

        ulong? addr = ArchGetUnmappedAreaTopdown(mm, hint, length);
        return addr is null ? (Errno.ENOMEM, 0) : (Errno.None, addr.Value);
    }

    /// <summary>__thp_get_unmapped_area at file offset 0: pads by 2 MiB, then aligns inside the padded area.</summary>
    private static ulong? ThpGetUnmappedArea(MmStruct mm, ulong length)
    {
        ulong size = PageGeometry.PmdSize;
        ulong padded = length + size;
        if (padded < length || ArchGetUnmappedAreaTopdown(mm, 0, padded) is not ulong start)
        {
            return null;
        }

        ulong offSub = (0 - start) & (size - 1);
        return offSub == 0 ? start + size : start + offSub;
    }

    /// <summary>arch_get_unmapped_area_topdown: the hint if it fits, else the highest gap below mmap_base, else bottom-up.</summary>
    private static ulong? ArchGetUnmappedAreaTopdown(MmStruct mm, ulong hint, ulong length)
    {
        MmLayout layout = mm.Layout;
        if (hint != 0)
        {
            ulong addr = hint & PageGeometry.PageMask;
            if (HintFits(mm, addr, length, layout.TaskSize))
            {
                return addr;
            }
        }

        ulong? found = Topdown(mm, length, PageGeometry.PageSize, layout.MmapBase);
        return found ?? ArchGetUnmappedArea(mm, hint, length);
    }

    /// <summary>arch_get_unmapped_area: the bottom-up search from mmap_legacy_base.</summary>
    private static ulong? ArchGetUnmappedArea(MmStruct mm, ulong hint, ulong length)
    {
        MmLayout layout = mm.Layout;
        if (length > layout.TaskSize)
        {
            return null;
        }

        if (hint != 0)
        {
            ulong addr = (hint + PageGeometry.PageSize - 1) & PageGeometry.PageMask;
            if (HintFits(mm, addr, length, layout.TaskSize))
            {
                return addr;
            }
        }

        return Bottomup(mm, length, layout.MmapLegacyBase, layout.TaskSize);
    }

    /// <summary>mmap_address_hint_valid plus the find_vma check: [addr, addr + length) is free, guard gaps included.</summary>
    private static bool HintFits(MmStruct mm, ulong addr, ulong length, ulong taskSize)
    {
        if (taskSize - length < addr || addr < mm.Layout.MmapMinAddr)
        {
            return false;
        }

        VmArea? next = mm.Vmas.FindVma(new VirtAddr(addr));
        return next is null || addr + length <= next.VmStartGap(mm.Layout.StackGuardGapBytes).Value;
    }

    /// <summary>unmapped_area_topdown: the highest gap in [lowLimit, highLimit) that holds <paramref name="length"/>.</summary>
    private static ulong? Topdown(MmStruct mm, ulong length, ulong lowLimit, ulong highLimit)
    {
        VmaTree vmas = mm.Vmas;
        ulong low = Math.Max(lowLimit, mm.Layout.MmapMinAddr);
        for (int i = vmas.Count; i >= 0; i--)
        {
            (ulong gapStart, ulong gapEnd) = Gap(mm, i, low, highLimit);
            if (gapEnd > gapStart && gapEnd - gapStart >= length)
            {
                return gapEnd - length;
            }

            if (gapEnd <= low && i < vmas.Count)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>unmapped_area: the lowest gap in [lowLimit, highLimit) that holds <paramref name="length"/>.</summary>
    private static ulong? Bottomup(MmStruct mm, ulong length, ulong lowLimit, ulong highLimit)
    {
        VmaTree vmas = mm.Vmas;
        ulong low = Math.Max(lowLimit, mm.Layout.MmapMinAddr);
        for (int i = 0; i <= vmas.Count; i++)
        {
            (ulong gapStart, ulong gapEnd) = Gap(mm, i, low, highLimit);
            if (gapEnd > gapStart && gapEnd - gapStart >= length)
            {
                return gapStart;
            }
        }

        return null;
    }

    /// <summary>The free gap below VMA <paramref name="nextIndex"/> (above the last VMA when it equals Count), clipped to the limits.</summary>
    private static (ulong Start, ulong End) Gap(MmStruct mm, int nextIndex, ulong low, ulong high)
    {
        VmaTree vmas = mm.Vmas;
        ulong start = nextIndex > 0 ? vmas[nextIndex - 1].VmEnd.Value : 0;
        ulong end = nextIndex < vmas.Count ? vmas[nextIndex].VmStartGap(mm.Layout.StackGuardGapBytes).Value : ulong.MaxValue;
        return (Math.Max(start, low), Math.Min(end, high));
    }
}

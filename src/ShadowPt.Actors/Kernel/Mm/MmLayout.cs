
namespace ShadowPt.Kernel;

/// <summary>
/// The fixed parameters of an address space: where mmap places things, the stack top and limits,
/// and the sysctls the VMA code consults. No randomization: every run places mappings identically.
/// </summary>
/// <remarks>
/// arch/x86/mm/mmap.c (mmap_base: TASK_SIZE less the stack rlimit and guard gap, clamped to at
/// least 128 MiB; mmap_legacy_base = TASK_UNMAPPED_BASE = PAGE_ALIGN(TASK_SIZE / 3)); mm/mmap.c
/// (stack_guard_gap = 256 pages, sysctl_max_map_count = 65530); security/Kconfig
/// (DEFAULT_MMAP_MIN_ADDR 4096). With randomize_va_space=0 Linux x86-64 puts mmap_base at
/// 0x7ffff7fff000 and the stack top at 0x7ffffffff000, as <see cref="X8664Default"/> does.
/// </remarks>
public sealed record MmLayout
{
    /// <summary>The smallest gap mmap_base keeps below the stack top: 128 MiB.</summary>
    public const ulong MmapBaseGapMin = 128UL << 20;

    /// <summary>TASK_SIZE: the end of user space.</summary>
    public ulong TaskSize { get; init; } = PageGeometry.TaskSizeMax;

    /// <summary>STACK_TOP: the end of the initial stack VMA.</summary>
    public ulong StackTop { get; init; } = PageGeometry.TaskSizeMax;

    /// <summary>RLIMIT_STACK in bytes (8 MiB by default).</summary>
    public ulong StackRlimitBytes { get; init; } = 8UL << 20;

    /// <summary>stack_guard_gap in bytes (256 pages).</summary>
    public ulong StackGuardGapBytes { get; init; } = 256UL << PageGeometry.PageShift;

    /// <summary>vm.mmap_min_addr.</summary>
    public ulong MmapMinAddr { get; init; } = 4096;

    /// <summary>vm.max_map_count: VMAs an mm may hold.</summary>
    public int MaxMapCount { get; init; } = 65530;

    /// <summary>
    /// Align anonymous mappings whose length is a multiple of 2 MiB to 2 MiB when no hint is given
    /// (__get_unmapped_area with CONFIG_TRANSPARENT_HUGEPAGE, Linux 6.10 and later).
    /// </summary>
    public bool ThpAlignAnonymous { get; init; } = true;

    /// <summary>
    /// CONFIG_MEM_SOFT_DIRTY: new VMAs get VM_SOFTDIRTY and pagemap reports bit 55. Off by default, as on
    /// the reference machine (Linux 6.18, where pagemap never shows soft-dirty); distribution kernels often enable it.
    /// </summary>
    public bool MemSoftDirty { get; init; }

    /// <summary>Pages of the initial stack VMA: one page of arguments plus the 128 KiB setup_arg_pages adds.</summary>
    public ulong InitialStackPages { get; init; } = 33;

    /// <summary>mm->mmap_base for top-down allocation.</summary>
    public ulong MmapBase => ComputeMmapBase(TaskSize, StackRlimitBytes, StackGuardGapBytes);

    /// <summary>mm->mmap_legacy_base, where bottom-up allocation starts (the fallback).</summary>
    public ulong MmapLegacyBase => (TaskSize / 3 + PageGeometry.PageSize - 1) & PageGeometry.PageMask;

    /// <summary>The x86-64 layout with ASLR off.</summary>
    public static MmLayout X8664Default() => new();

    /// <summary>mmap_base(): TASK_SIZE minus the stack gap, the gap clamped to [128 MiB, 5/6 of TASK_SIZE].</summary>
    public static ulong ComputeMmapBase(ulong taskSize, ulong stackRlimitBytes, ulong stackGuardGapBytes)
    {
        ulong gap = stackRlimitBytes;
        if (gap + stackGuardGapBytes > gap)
        {
            gap += stackGuardGapBytes;
        }

        ulong gapMax = taskSize / 6 * 5;
        gap = Math.Clamp(gap, MmapBaseGapMin, gapMax);
        return (taskSize - gap) & PageGeometry.PageMask;
    }

    /// <summary>Throws when a parameter is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TaskSize, PageGeometry.TaskSizeMax);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(StackTop, TaskSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMapCount);
        ArgumentOutOfRangeException.ThrowIfZero(InitialStackPages);
        Bug.On((StackTop & ~PageGeometry.PageMask) != 0 || (StackGuardGapBytes & ~PageGeometry.PageMask) != 0, "MmLayout: unaligned stack parameters");
    }
}

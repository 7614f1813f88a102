namespace ShadowPt.Kernel;

/// <summary>UFFD_FEATURE_* bits of struct uffdio_api (include/uapi/linux/userfaultfd.h).</summary>
[Flags]
public enum UffdFeatures : ulong
{
    None = 0,

    /// <summary>UFFD_FEATURE_PAGEFAULT_FLAG_WP: pagefault messages carry UFFD_PAGEFAULT_FLAG_WP.</summary>
    PagefaultFlagWp = 1 << 0,

    /// <summary>UFFD_FEATURE_EVENT_FORK: fork creates a context for the child and reports it.</summary>
    EventFork = 1 << 1,

    /// <summary>UFFD_FEATURE_EVENT_REMAP: mremap is reported (the model has no mremap: never raised).</summary>
    EventRemap = 1 << 2,

    /// <summary>UFFD_FEATURE_EVENT_REMOVE: madvise(MADV_DONTNEED) on a registered range is reported.</summary>
    EventRemove = 1 << 3,

    /// <summary>UFFD_FEATURE_MISSING_SHMEM: MISSING registration of shmem.</summary>
    MissingShmem = 1 << 5,

    /// <summary>UFFD_FEATURE_EVENT_UNMAP: munmap of a registered range is reported.</summary>
    EventUnmap = 1 << 6,

    /// <summary>UFFD_FEATURE_MINOR_SHMEM: MINOR registration of shmem.</summary>
    MinorShmem = 1 << 10,

    /// <summary>UFFD_FEATURE_WP_HUGETLBFS_SHMEM: WP registration of shmem.</summary>
    WpHugetlbfsShmem = 1 << 12,
}

/// <summary>UFFDIO_REGISTER_MODE_*.</summary>
[Flags]
public enum UffdRegisterMode
{
    None = 0,

    /// <summary>UFFDIO_REGISTER_MODE_MISSING: faults on pages with no PTE.</summary>
    Missing = 1 << 0,

    /// <summary>UFFDIO_REGISTER_MODE_WP: writes to write-protected (uffd-wp) PTEs.</summary>
    Wp = 1 << 1,

    /// <summary>UFFDIO_REGISTER_MODE_MINOR: faults on pages in the page cache but not mapped.</summary>
    Minor = 1 << 2,
}

/// <summary>UFFD_EVENT_*: the event of a struct uffd_msg.</summary>
public enum UffdEvent
{
    None = 0,
    Pagefault = 0x12,
    Fork = 0x13,
    Remap = 0x14,
    Remove = 0x15,
    Unmap = 0x16,
}

/// <summary>UFFD_PAGEFAULT_FLAG_*.</summary>
[Flags]
public enum UffdPagefaultFlags
{
    None = 0,
    Write = 1 << 0,
    Wp = 1 << 1,
    Minor = 1 << 2,
}

/// <summary>Constants of the userfaultfd ABI and the model's bounds.</summary>
/// <remarks>include/uapi/linux/userfaultfd.h, fs/userfaultfd.c.</remarks>
public static class UffdApi
{
    /// <summary>UFFD_API: the only API version.</summary>
    public const ulong Api = 0xAA;

    /// <summary>UFFD_API_FEATURES the model implements (REMAP is accepted; the model has no mremap).</summary>
    public const UffdFeatures SupportedFeatures = UffdFeatures.PagefaultFlagWp | UffdFeatures.EventFork | UffdFeatures.EventRemap
        | UffdFeatures.EventRemove | UffdFeatures.MissingShmem | UffdFeatures.EventUnmap | UffdFeatures.MinorShmem | UffdFeatures.WpHugetlbfsShmem;

    /// <summary>UFFDIO_COPY_MODE_DONTWAKE: install the page but do not wake the faulting tasks.</summary>
    public const int CopyModeDontwake = 1 << 0;

    /// <summary>UFFDIO_WRITEPROTECT_MODE_WP: set write protection (clear it without).</summary>
    public const int WriteprotectModeWp = 1 << 0;

    /// <summary>UFFDIO_WRITEPROTECT_MODE_DONTWAKE.</summary>
    public const int WriteprotectModeDontwake = 1 << 1;

    /// <summary>__VM_UFFD_FLAGS: the VMA flags of a registration.</summary>
    public const VmFlags VmUffdFlags = VmFlags.UffdMissing | VmFlags.UffdWp | VmUffdMinor;

    /// <summary>VM_UFFD_MINOR (VM_HIGH_ARCH_0 on x86-64, bit 32).</summary>
    public const VmFlags VmUffdMinor = (VmFlags)(1UL << 32);

    /// <summary>Most userfaultfd contexts one machine creates.</summary>
    public const int ContextsMax = 256;

    /// <summary>Most messages one context queues (faults plus events); every task blocks on at most one.</summary>
    public const int QueuedMax = MachineConfig.TasksMax * 2;

    /// <summary>Most messages a context remembers as read, for item-6 style consumers and tests.</summary>
    public const int ReadLogMax = 4096;

    /// <summary>Most descriptors one process holds.</summary>
    public const int FdsMax = 64;

    /// <summary>The first descriptor number (0–2 are stdio).</summary>
    public const int FirstFd = 3;

    /// <summary>The VM_UFFD_* flags of a registration mode.</summary>
    public static VmFlags VmFlagsOf(UffdRegisterMode mode) =>
        ((mode & UffdRegisterMode.Missing) != 0 ? VmFlags.UffdMissing : VmFlags.None)
        | ((mode & UffdRegisterMode.Wp) != 0 ? VmFlags.UffdWp : VmFlags.None)
        | ((mode & UffdRegisterMode.Minor) != 0 ? VmUffdMinor : VmFlags.None);

    /// <summary>userfaultfd_missing / _wp / _minor: whether a VMA is registered in some mode.</summary>
    public static bool IsRegistered(VmArea vma) => (vma.VmFlags & VmUffdFlags) != 0;
}

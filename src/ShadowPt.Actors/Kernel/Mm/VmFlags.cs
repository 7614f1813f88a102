namespace ShadowPt.Kernel;

/// <summary>VMA flags (<c>vm_flags_t</c>) with the kernel's bit values.</summary>
/// <remarks>include/linux/mm.h. VM_MAY* sit four bits above the matching VM_* bits, which mprotect relies on.</remarks>
[Flags]
public enum VmFlags : ulong
{
    None = 0,
    Read = 0x00000001,
    Write = 0x00000002,
    Exec = 0x00000004,
    Shared = 0x00000008,
    MayRead = 0x00000010,
    MayWrite = 0x00000020,
    MayExec = 0x00000040,
    MayShare = 0x00000080,
    GrowsDown = 0x00000100,
    UffdMissing = 0x00000200,
    PfnMap = 0x00000400,
    UffdWp = 0x00001000,
    Locked = 0x00002000,
    Io = 0x00004000,
    SeqRead = 0x00008000,
    RandRead = 0x00010000,
    DontCopy = 0x00020000,
    DontExpand = 0x00040000,
    LockOnFault = 0x00080000,
    Account = 0x00100000,
    NoReserve = 0x00200000,
    HugeTlb = 0x00400000,
    Sync = 0x00800000,
    WipeOnFork = 0x02000000,
    DontDump = 0x04000000,
    SoftDirty = 0x08000000,
    MixedMap = 0x10000000,
    HugePage = 0x20000000,
    NoHugePage = 0x40000000,
    Mergeable = 0x80000000,
}

/// <summary>Named combinations of <see cref="VmFlags"/> from include/linux/mm.h.</summary>
public static class VmFlagSets
{
    /// <summary>VM_ACCESS_FLAGS: read, write, exec.</summary>
    public const VmFlags Access = VmFlags.Read | VmFlags.Write | VmFlags.Exec;

    /// <summary>VM_SPECIAL: mappings that never merge, never mlock, never expand.</summary>
    public const VmFlags Special = VmFlags.Io | VmFlags.DontExpand | VmFlags.PfnMap | VmFlags.MixedMap;

    /// <summary>VM_LOCKED_MASK.</summary>
    public const VmFlags LockedMask = VmFlags.Locked | VmFlags.LockOnFault;

    /// <summary>VM_IGNORE_MERGE: flags that do not stop two VMAs from merging.</summary>
    public const VmFlags IgnoreMerge = VmFlags.SoftDirty;

    /// <summary>VM_STARTGAP_FLAGS: VMAs with a guard gap below them (no VM_GROWSUP on x86).</summary>
    public const VmFlags StartGap = VmFlags.GrowsDown;

    /// <summary>VM_DATA_DEFAULT_FLAGS on x86-64 without READ_IMPLIES_EXEC (brk and data).</summary>
    public const VmFlags DataDefault = VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec;

    /// <summary>VM_STACK_FLAGS: the initial stack of execve (plus VM_ACCOUNT).</summary>
    public const VmFlags Stack = VmFlags.GrowsDown | DataDefault | VmFlags.Account;
}

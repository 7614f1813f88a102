namespace ShadowPt.Kernel;

/// <summary>mmap and mprotect protection bits (<c>PROT_*</c>).</summary>
/// <remarks>include/uapi/asm-generic/mman-common.h.</remarks>
[Flags]
public enum Prot : uint
{
    None = 0x0,
    Read = 0x1,
    Write = 0x2,
    Exec = 0x4,
    Sem = 0x8,
    GrowsDown = 0x01000000,
    GrowsUp = 0x02000000,
}

/// <summary>mmap flags (<c>MAP_*</c>) with the x86-64 values.</summary>
/// <remarks>include/uapi/linux/mman.h, include/uapi/asm-generic/mman-common.h and mman.h.</remarks>
[Flags]
public enum MapFlags : uint
{
    None = 0,
    Shared = 0x01,
    Private = 0x02,
    SharedValidate = 0x03,
    Type = 0x0f,
    Fixed = 0x10,
    Anonymous = 0x20,
    GrowsDown = 0x0100,
    DenyWrite = 0x0800,
    Executable = 0x1000,
    Locked = 0x2000,
    NoReserve = 0x4000,
    Populate = 0x8000,
    NonBlock = 0x10000,
    Stack = 0x20000,
    HugeTlb = 0x40000,
    Sync = 0x80000,
    FixedNoReplace = 0x100000,
}

/// <summary>mlockall flags (<c>MCL_*</c>).</summary>
[Flags]
public enum MlockallFlags : uint
{
    None = 0,
    Current = 1,
    Future = 2,
    OnFault = 4,
}

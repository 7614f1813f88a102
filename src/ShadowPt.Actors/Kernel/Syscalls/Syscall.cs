namespace ShadowPt.Kernel;

/// <summary>A system call a process makes, with its arguments; the kernel returns a value or -errno.</summary>
public abstract record Syscall
{
    /// <summary>The kernel's name, for logs: mmap, munmap, ...</summary>
    public abstract string Name { get; }
}

/// <summary>mmap(addr, length, prot, flags, -1, 0): anonymous mappings (shared ones are shmem).</summary>
public sealed record MmapCall(VirtAddr Addr, ulong Length, Prot Prot, MapFlags Flags) : Syscall
{
    public override string Name => "mmap";
}

/// <summary>mmap(addr, length, prot, flags, open(path), pgoff pages): a file-backed mapping through the page cache.</summary>
public sealed record MmapFileCall(VirtAddr Addr, ulong Length, Prot Prot, MapFlags Flags, string Path, ulong PgoffPages) : Syscall
{
    public override string Name => "mmap";
}

/// <summary>munmap(addr, length).</summary>
public sealed record MunmapCall(VirtAddr Addr, ulong Length) : Syscall
{
    public override string Name => "munmap";
}

/// <summary>mprotect(addr, length, prot).</summary>
public sealed record MprotectCall(VirtAddr Addr, ulong Length, Prot Prot) : Syscall
{
    public override string Name => "mprotect";
}

/// <summary>brk(addr): returns the new break (or the old one on failure).</summary>
public sealed record BrkCall(VirtAddr Addr) : Syscall
{
    public override string Name => "brk";
}

/// <summary>madvise(addr, length, MADV_DONTNEED).</summary>
public sealed record MadviseDontneedCall(VirtAddr Addr, ulong Length) : Syscall
{
    public override string Name => "madvise";
}

/// <summary>mlock(addr, length) or munlock(addr, length).</summary>
public sealed record MlockCall(VirtAddr Addr, ulong Length, bool Lock) : Syscall
{
    public override string Name => Lock ? "mlock" : "munlock";
}

/// <summary>mlockall(flags), or munlockall() when flags are none.</summary>
public sealed record MlockallCall(MlockallFlags Flags) : Syscall
{
    public override string Name => Flags == MlockallFlags.None ? "munlockall" : "mlockall";
}

/// <summary>fork(): returns the child's pid to the parent.</summary>
public sealed record ForkCall : Syscall
{
    public override string Name => "fork";
}

/// <summary>execve: a fresh address space (a stack), the old one released.</summary>
public sealed record ExecveCall(string Comm) : Syscall
{
    public override string Name => "execve";
}

/// <summary>exit(code): never returns.</summary>
public sealed record ExitCall(int Code) : Syscall
{
    public override string Name => "exit";
}

/// <summary>rt_sigaction(SIGSEGV, handler): with a handler a SIGSEGV is reported, not fatal.</summary>
public sealed record SigsegvHandlerCall(bool Install) : Syscall
{
    public override string Name => "rt_sigaction";
}

/// <summary>
/// pwrite64 of one byte to /proc/PID/mem at <paramref name="Addr"/> (PID 0: /proc/self/mem): a forced
/// write through get_user_pages (FOLL_FORCE | FOLL_WRITE), which may write a page the mapping does not
/// allow writing. Returns 1, or -errno.
/// </summary>
public sealed record ProcMemWriteCall(int Pid, VirtAddr Addr, byte Value) : Syscall
{
    public override string Name => "pwrite64";
}

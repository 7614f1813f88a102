namespace ShadowPt.Kernel;

/// <summary>
/// write(open("/proc/PID/clear_refs"), "4"): <see cref="Target"/> names the process (pidof its comm),
/// null for the caller itself. Returns 0 or -errno (ESRCH: no such process; EINVAL: a type other than 4).
/// </summary>
public sealed record ClearRefsCall(string? Target, int Type) : Syscall
{
    public override string Name => "clear_refs";
}

/// <summary>madvise(addr, length, MADV_PAGEOUT), or process_madvise on the process <see cref="Target"/> names (pidof) when not null.</summary>
public sealed record MadvisePageoutCall(string? Target, VirtAddr Addr, ulong Length) : Syscall
{
    public override string Name => Target is null ? "madvise" : "process_madvise";
}

/// <summary>The system calls of soft-dirty tracking and page-out.</summary>
public static class SwapSyscalls
{
    /// <summary>MADV_PAGEOUT's advice number.</summary>
    public const int MadvPageout = 21;

    /// <summary>clear_refs: only type 4 (soft-dirty) is modelled. No locks held.</summary>
    public static async Runtime.Async.ActorTask<long> SysClearRefs(KernelContext k, ClearRefsCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Type != SoftDirty.ClearRefsSoftDirty)
        {
            return Syscalls.Err(Errno.EINVAL);
        }

        Errno error = await SoftDirty.ClearRefs(k, 0, call.Target);
        return error == Errno.None ? 0 : Syscalls.Err(error);
    }
}

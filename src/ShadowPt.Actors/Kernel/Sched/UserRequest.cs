using ShadowPt.Runtime;

namespace ShadowPt.Kernel;

/// <summary>What a process asks of the CPU it runs on.</summary>
public abstract record UserOp;

/// <summary>Enter the kernel with a system call.</summary>
public sealed record SyscallOp(Syscall Call) : UserOp;

/// <summary>A one-byte user load or store.</summary>
public sealed record AccessOp(VirtAddr Address, bool Write, byte Value) : UserOp;

/// <summary>An aligned 8-byte user load or store (a single instruction: no tearing).</summary>
public sealed record WordAccessOp(VirtAddr Address, bool Write, ulong Value) : UserOp;

/// <summary>The task sleeps (think time): the CPU switches to its idle task, lazily keeping the mm loaded.</summary>
public sealed record SleepOp : UserOp;

/// <summary>A process's request to its CPU to run <see cref="Op"/> as task <see cref="Pid"/>.</summary>
public sealed record UserRequest(int Pid, UserOp Op) : ITraceable
{
    public ulong TraceFingerprint => ((ulong)(uint)Pid << 32) ^ Runtime.Recording.TraceHash.OfString(Op.ToString());
}

/// <summary>What came back: the syscall's return value (or -errno), a SIGSEGV, the byte loaded, or the task's death.</summary>
public sealed record UserResult(long Ret, bool Segv, byte Value, bool Killed) : ITraceable
{
    public static UserResult Returned(long ret) => new(ret, false, 0, false);

    /// <summary>The answer to any request of a task that has exited: -ESRCH, and dead.</summary>
    public static UserResult Dead { get; } = new(-(long)Errno.ESRCH, false, 0, true);

    /// <summary>The 8-byte value a <see cref="WordAccessOp"/> load returned.</summary>
    public ulong Word { get; init; }

    public ulong TraceFingerprint => (ulong)Ret ^ ((ulong)Value << 48) ^ (Segv ? 1UL << 62 : 0) ^ (Killed ? 1UL << 63 : 0);
}

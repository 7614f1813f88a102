namespace ShadowPt.Kernel;

/// <summary>A process as the kernel sees it (<c>struct task_struct</c>), single-threaded.</summary>
/// <remarks>include/linux/sched.h. Owned by the memory-subsystem actor's <see cref="KernelState"/>.</remarks>
public sealed class TaskStruct
{
    public TaskStruct(int pid, string comm, int parentPid, bool superuser)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        Pid = pid;
        Comm = comm;
        ParentPid = parentPid;
        Superuser = superuser;
    }

    public int Pid { get; }

    /// <summary>comm: the command name shown in logs.</summary>
    public string Comm { get; set; }

    /// <summary>The parent's pid; 0 for a process started by the machine.</summary>
    public int ParentPid { get; }

    /// <summary>Whether the task has CAP_SYS_ADMIN (what "superuser" means to the shadow-pt syscalls).</summary>
    public bool Superuser { get; }

    /// <summary>mm: the address space; null once the task released it at exit.</summary>
    public MmStruct? Mm { get; set; }

    /// <summary>Whether a SIGSEGV handler is installed; without one a SIGSEGV kills the task.</summary>
    public bool HasSigsegvHandler { get; set; }

    /// <summary>The siginfo of the last SIGSEGV forced on the task (null when none).</summary>
    public Siginfo? LastSiginfo { get; set; }

    /// <summary>SIGSEGVs delivered.</summary>
    public long SigsegvCount { get; set; }

    public bool Exited { get; set; }

    /// <summary>The exit code (128 + signal when killed by one).</summary>
    public int ExitCode { get; set; }

    /// <summary>The lock owner id of this task, for lock grant queues and the lock checker.</summary>
    public LockOwner Owner => new(Pid);

    public override string ToString() => $"{Comm}-{Pid}";
}

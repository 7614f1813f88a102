namespace ShadowPt.Kernel;

/// <summary>vm_fault_t: what handle_mm_fault tells its caller.</summary>
[Flags]
public enum VmFault
{
    /// <summary>Handled (or nothing to do: another CPU handled it first).</summary>
    None = 0,

    /// <summary>VM_FAULT_OOM: no memory for a page or a page table.</summary>
    Oom = 0x000001,

    /// <summary>VM_FAULT_SIGBUS.</summary>
    Sigbus = 0x000002,

    /// <summary>VM_FAULT_MAJOR: the fault needed I/O.</summary>
    Major = 0x000004,

    /// <summary>VM_FAULT_SIGSEGV.</summary>
    Sigsegv = 0x000040,

    /// <summary>VM_FAULT_RETRY: mmap_lock was dropped; the caller retries the fault.</summary>
    Retry = 0x000400,

    /// <summary>
    /// With <see cref="Retry"/>: handle_userfault let go of the lock and slept. Linux 6.x takes such a
    /// fault under the per-VMA lock first, and its retry is a fresh mmap_lock attempt without
    /// FAULT_FLAG_TRIED, so the resolved fault counts as minor (not modeled lock, same accounting).
    /// </summary>
    UserfaultRetry = 0x100000,

    /// <summary>VM_FAULT_ERROR: any of the errors.</summary>
    Error = Oom | Sigbus | Sigsegv,
}

/// <summary>enum fault_flag: how the fault came about.</summary>
[Flags]
public enum FaultFlags
{
    None = 0,

    /// <summary>FAULT_FLAG_WRITE.</summary>
    Write = 1 << 0,

    /// <summary>FAULT_FLAG_ALLOW_RETRY: the handler may drop mmap_lock and ask for a retry.</summary>
    AllowRetry = 1 << 2,

    /// <summary>FAULT_FLAG_TRIED: this is a retry.</summary>
    Tried = 1 << 5,

    /// <summary>FAULT_FLAG_USER: from user mode.</summary>
    User = 1 << 6,

    /// <summary>FAULT_FLAG_REMOTE: get_user_pages on another mm.</summary>
    Remote = 1 << 7,

    /// <summary>FAULT_FLAG_DEFAULT: killable and retryable.</summary>
    Default = AllowRetry,
}

/// <summary>What a user access ended with, as the task sees it.</summary>
public readonly record struct AccessOutcome(bool Segv, byte Value, bool Oom)
{
    public static AccessOutcome Sigsegv => new(true, 0, false);
}

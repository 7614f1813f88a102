namespace ShadowPt.Kernel;

/// <summary>si_code of a SIGSEGV: why the access faulted.</summary>
/// <remarks>include/uapi/asm-generic/siginfo.h.</remarks>
public enum SegvCode
{
    /// <summary>No SIGSEGV.</summary>
    None = 0,

    /// <summary>SEGV_MAPERR: no mapping at the address (bad_area_nosemaphore, or VM_FAULT_SIGSEGV).</summary>
    Maperr = 1,

    /// <summary>SEGV_ACCERR: a mapping is there but forbids the access (bad_area_access_error).</summary>
    Accerr = 2,
}

/// <summary>
/// The siginfo a SIGSEGV handler receives: signal number, si_code and si_addr (the faulting address,
/// not page aligned). force_sig_fault fills it on the fault path; the handler runs in the task that faulted.
/// </summary>
/// <remarks>arch/x86/mm/fault.c __bad_area_nosemaphore → force_sig_fault(SIGSEGV, si_code, address).</remarks>
public sealed record Siginfo(int Signo, SegvCode Code, VirtAddr Addr)
{
    /// <summary>SIGSEGV's number.</summary>
    public const int Sigsegv = 11;
}

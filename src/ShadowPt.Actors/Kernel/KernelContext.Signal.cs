namespace ShadowPt.Kernel;

/// <summary>The fault path's record of why the last user fault failed, as x86 keeps it in the task's thread (cr2, error_code) for the signal.</summary>
public sealed partial class KernelContext
{
    /// <summary>si_code of the SIGSEGV the last failed user fault on this CPU raises; set by do_user_addr_fault.</summary>
    public SegvCode FaultSiCode { get; internal set; }
}

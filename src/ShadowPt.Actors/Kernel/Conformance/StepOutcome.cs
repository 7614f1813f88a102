using System.Globalization;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// What the process that ran a step saw: the minor faults of the operation alone (null when not
/// measured, which is fork), whether it raised SIGSEGV, the byte a read returned (null for other
/// steps and for a read that faulted), and the system call's errno (0 on success).
/// </summary>
public sealed record StepOutcome(int? MinorFaults, bool Segv, byte? ReadValue, int Errno)
{
    /// <summary>Minor faults as printed: a number or <c>not-measured</c>.</summary>
    public string FaultsText =>
        MinorFaults is int n ? n.ToString(CultureInfo.InvariantCulture) : "not-measured";

    /// <summary>The errno's name, <c>none</c> for 0.</summary>
    public string ErrnoText => ErrnoName(Errno);

    /// <summary>The kernel's name for an errno value, or <c>errno N</c>.</summary>
    public static string ErrnoName(int errno) => errno switch
    {
        0 => "none",
        1 => "EPERM",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        17 => "EEXIST",
        22 => "EINVAL",
        _ => "errno " + errno.ToString(CultureInfo.InvariantCulture),
    };
}

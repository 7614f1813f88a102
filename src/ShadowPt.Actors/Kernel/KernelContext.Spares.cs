namespace ShadowPt.Kernel;

/// <summary>
/// Argument objects of this CPU's per-access memory operations, kept for the next access instead of
/// allocated per access. Owned by the CPU's kernel path (one runs at a time); an object is taken out
/// while its operation is in flight and put back once its reply arrived (see <see cref="UserAccess"/>).
/// </summary>
public sealed partial class KernelContext
{
    /// <summary>The TLB-hit access of this CPU not in flight now, or null (taken, or never made yet).</summary>
    internal UserAccess.TlbHitAccess? SpareTlbHitAccess { get; set; }
}

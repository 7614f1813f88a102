namespace ShadowPt.Kernel;

/// <summary>Who is running the current memory operation, for the accesses it reports.</summary>
public sealed partial class KernelState
{
    /// <summary>The memory operation the memory-subsystem actor runs now; null between operations.</summary>
    public MemOp? RunningOp { get; internal set; }
}

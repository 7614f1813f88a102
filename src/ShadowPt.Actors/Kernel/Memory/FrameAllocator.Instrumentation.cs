namespace ShadowPt.Kernel;

/// <summary>Where the memory reports instrumented accesses (KCSAN's hooks), when a race checker runs.</summary>
public sealed partial class FrameAllocator
{
    /// <summary>The race checker's instrumentation; null when no checker watches accesses.</summary>
    public AccessInstrumentation? Instrumentation { get; internal set; }

    /// <summary>The word at <paramref name="offset"/> without any check or history: for the instrumentation's "value changed" only.</summary>
    internal ulong PeekU64(Pfn pfn, int offset) =>
        InRange(pfn) && Contents(pfn.Index) is PageContents page && offset >= 0 && offset <= PageGeometry.PageSizeBytes - sizeof(ulong)
            ? page.ReadU64(offset)
            : 0;
}

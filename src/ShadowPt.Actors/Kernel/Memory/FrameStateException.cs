namespace ShadowPt.Kernel;

/// <summary>The kind of misuse a <see cref="FrameStateException"/> reports.</summary>
public enum FrameFault
{
    /// <summary>A frame freed (or put to refcount zero) a second time.</summary>
    DoubleFree,

    /// <summary>A free frame read, written, referenced or mapped.</summary>
    UseAfterFree,

    /// <summary>A frame freed while page tables still map it ("Bad page state: nonzero mapcount").</summary>
    FreeWhileMapped,

    /// <summary>More maps than references, or a count going below zero.</summary>
    BadCount,
}

/// <summary>
/// A detected misuse of simulated physical memory, with the frame's readable history (who last
/// allocated and freed it, at which step). The simulator reports it as a violation with the schedule.
/// </summary>
public sealed class FrameStateException : Exception, Runtime.IViolationKind
{
    public FrameStateException()
    {
    }

    public FrameStateException(string message)
        : base(message)
    {
    }

    public FrameStateException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public FrameStateException(FrameFault fault, Pfn pfn, string message)
        : base(message)
    {
        Fault = fault;
        Pfn = pfn;
    }

    /// <summary>What went wrong.</summary>
    public FrameFault Fault { get; }

    /// <summary>use-after-free, double-free, free-while-mapped or bad-page-count.</summary>
    public string ViolationKind => Fault switch
    {
        FrameFault.UseAfterFree => "use-after-free",
        FrameFault.DoubleFree => "double-free",
        FrameFault.FreeWhileMapped => "free-while-mapped",
        _ => "bad-page-count",
    };

    /// <summary>The frame concerned.</summary>
    public Pfn Pfn { get; }
}

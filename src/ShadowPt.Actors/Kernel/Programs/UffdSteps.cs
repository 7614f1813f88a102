using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>A userfaultfd step: <see cref="Uffd"/> picks the process's descriptor (0: the first it got, by userfaultfd, recvmsg or a FORK event).</summary>
public interface IUffdStep
{
    /// <summary>Index of the descriptor among those the process holds, in the order it got them.</summary>
    int Uffd { get; }
}

/// <summary>How <see cref="UffdServeStep"/> resolves a page fault it reads.</summary>
public enum UffdResolve
{
    /// <summary>By the message: WP → UFFDIO_WRITEPROTECT (clear), MINOR → UFFDIO_CONTINUE, otherwise UFFDIO_COPY.</summary>
    Auto,

    /// <summary>UFFDIO_COPY of the monitor's source page.</summary>
    Copy,

    /// <summary>UFFDIO_ZEROPAGE.</summary>
    Zeropage,

    /// <summary>UFFDIO_CONTINUE.</summary>
    Continue,

    /// <summary>UFFDIO_WRITEPROTECT clearing the protection.</summary>
    Writeprotect,

    /// <summary>Nothing: only read the messages.</summary>
    None,
}

/// <summary>A userfaultfd step that names no label.</summary>
public abstract record UffdStep : ProgramStep, IUffdStep
{
    public int Uffd { get; init; }
}

/// <summary>userfaultfd() and UFFDIO_API with <see cref="Features"/>: the process gets a descriptor.</summary>
public sealed record UserfaultfdStep(UffdFeatures Features) : UffdStep
{
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"userfaultfd(features 0x{(ulong)Features:x})");
}

/// <summary>sendmsg(SCM_RIGHTS): the descriptor goes to process <see cref="To"/> (a child, the parent, or a sibling forked earlier).</summary>
public sealed record UffdSendStep(ProcessId To) : UffdStep
{
    public override string Text => $"uffd-send(uffd{Uffd}, {To})";
}

/// <summary>recvmsg(SCM_RIGHTS): waits for a descriptor sent to this process.</summary>
public sealed record UffdRecvStep : UffdStep
{
    public override string Text => "uffd-recv()";
}

/// <summary>
/// The monitor's loop, <see cref="Count"/> times: read one message (blocking), and resolve a page fault
/// with <see cref="Resolve"/> (the copy's source page holds <c>Fill + i</c> at byte i); with
/// <see cref="DontWake"/> it resolves with MODE_DONTWAKE and then calls UFFDIO_WAKE. A resolution that
/// fails with -EEXIST, -EAGAIN or -ENOENT is followed by UFFDIO_WAKE (the task retries its fault).
/// A FORK event adds the child's descriptor to the process.
/// </summary>
public sealed record UffdServeStep(int Count, UffdResolve Resolve, byte Fill, bool DontWake) : UffdStep
{
    public override string Text => string.Create(
        CultureInfo.InvariantCulture,
        $"uffd-serve(uffd{Uffd}, {Count}, {Resolve.ToString().ToLowerInvariant()}, 0x{Fill:x2}{(DontWake ? ", dontwake" : string.Empty)})");
}

/// <summary>A userfaultfd ioctl on a labelled range of the context's mm.</summary>
public abstract record UffdRangeStep(string Label, int PageOffset, int Pages) : LabelStep(Label, PageOffset, Pages), IUffdStep
{
    public int Uffd { get; init; }

    private protected string Range => $"uffd{Uffd}, {PageText(Label, PageOffset)}, {PagesText(Pages)}";
}

/// <summary>UFFDIO_REGISTER.</summary>
public sealed record UffdRegisterStep(string Label, int PageOffset, int Pages, UffdRegisterMode Mode) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => $"uffd-register({Range}, {Mode.ToString().ToLowerInvariant().Replace(", ", "|", StringComparison.Ordinal)})";
}

/// <summary>UFFDIO_UNREGISTER.</summary>
public sealed record UffdUnregisterStep(string Label, int PageOffset, int Pages) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => $"uffd-unregister({Range})";
}

/// <summary>UFFDIO_COPY of a source page holding <c>Fill + i</c> at byte i; with <see cref="DontWake"/> (MODE_DONTWAKE) a UFFDIO_WAKE step must follow.</summary>
public sealed record UffdCopyStep(string Label, int PageOffset, int Pages, byte Fill, bool DontWake) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"uffd-copy({Range}, 0x{Fill:x2}{(DontWake ? ", dontwake" : string.Empty)})");
}

/// <summary>UFFDIO_ZEROPAGE.</summary>
public sealed record UffdZeropageStep(string Label, int PageOffset, int Pages) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => $"uffd-zeropage({Range})";
}

/// <summary>UFFDIO_CONTINUE.</summary>
public sealed record UffdContinueStep(string Label, int PageOffset, int Pages) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => $"uffd-continue({Range})";
}

/// <summary>UFFDIO_WAKE.</summary>
public sealed record UffdWakeStep(string Label, int PageOffset, int Pages) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => $"uffd-wake({Range})";
}

/// <summary>UFFDIO_WRITEPROTECT: set (<see cref="Enable"/>) or clear the write protection.</summary>
public sealed record UffdWriteprotectStep(string Label, int PageOffset, int Pages, bool Enable) : UffdRangeStep(Label, PageOffset, Pages)
{
    public override string Text => $"uffd-writeprotect({Range}, {(Enable ? "wp" : "clear")})";
}

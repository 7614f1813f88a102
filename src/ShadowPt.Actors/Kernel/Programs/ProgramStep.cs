using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>
/// One step of a process program: a system call or a user access that one process runs. A step
/// only describes what to do; <see cref="ProcessProgram"/> checks that it makes sense where it is.
/// </summary>
public abstract record ProgramStep
{
    /// <summary>The process that runs the step; <c>p0</c> unless the step says otherwise.</summary>
    public ProcessId Process { get; init; } = ProcessId.Root;

    /// <summary>Simulated time the process thinks before the step. The native runner ignores it.</summary>
    public long ThinkTicks { get; init; }

    /// <summary>The step as a call, e.g. <c>write(a+0, 0x41)</c>; stable, used in observations.</summary>
    public abstract string Text { get; }

    /// <summary>Singular or plural page count, e.g. <c>1 page</c>.</summary>
    private protected static string PagesText(int pages) =>
        pages.ToString(CultureInfo.InvariantCulture) + (pages == 1 ? " page" : " pages");

    /// <summary>A page of a label, e.g. <c>a+0</c> or <c>stack-1</c>.</summary>
    internal static string PageText(string label, long pageOffset) =>
        label + (pageOffset < 0 ? "-" : "+") + Math.Abs(pageOffset).ToString(CultureInfo.InvariantCulture);

    /// <summary>Protection as in /proc/PID/maps without the sharing letter, e.g. <c>rw-</c>.</summary>
    internal static string ProtText(Prot prot) =>
        string.Concat(
            (prot & Prot.Read) != 0 ? "r" : "-",
            (prot & Prot.Write) != 0 ? "w" : "-",
            (prot & Prot.Exec) != 0 ? "x" : "-");
}

/// <summary>A step on <see cref="Pages"/> pages of a labelled mapping from <see cref="PageOffset"/>.</summary>
public abstract record LabelStep(string Label, int PageOffset, int Pages) : ProgramStep;

/// <summary>mmap: maps <see cref="LabelStep.Pages"/> pages and remembers the address under the label.</summary>
public sealed record MmapStep(string Label, int Pages, Prot Prot, MapFlags Flags) : LabelStep(Label, 0, Pages)
{
    /// <summary>The file to map (a path the machine knows), or null for anonymous memory.</summary>
    public string? File { get; init; }

    /// <summary>Offset in the file, in pages (file mappings only).</summary>
    public int PgoffPages { get; init; }

    public override string Text => File is null
        ? $"mmap({Label}, {PagesText(Pages)}, {ProtText(Prot)}, {FlagsText(Flags)})"
        : $"mmap({Label}, {PagesText(Pages)}, {ProtText(Prot)}, {FlagsText(Flags)}, {File}+{PgoffPages})";

    private static string FlagsText(MapFlags flags)
    {
        var names = new List<string>(4);
        if ((flags & MapFlags.Private) != 0)
        {
            names.Add("private");
        }

        if ((flags & MapFlags.Shared) != 0)
        {
            names.Add("shared");
        }

        if ((flags & MapFlags.Anonymous) != 0)
        {
            names.Add("anonymous");
        }

        if ((flags & MapFlags.GrowsDown) != 0)
        {
            names.Add("growsdown");
        }

        return names.Count == 0 ? "none" : string.Join('|', names);
    }
}

/// <summary>munmap of part or all of a labelled mapping.</summary>
public sealed record MunmapStep(string Label, int PageOffset, int Pages) : LabelStep(Label, PageOffset, Pages)
{
    public override string Text => $"munmap({PageText(Label, PageOffset)}, {PagesText(Pages)})";
}

/// <summary>mprotect of part or all of a labelled mapping.</summary>
public sealed record MprotectStep(string Label, int PageOffset, int Pages, Prot Prot)
    : LabelStep(Label, PageOffset, Pages)
{
    public override string Text =>
        $"mprotect({PageText(Label, PageOffset)}, {PagesText(Pages)}, {ProtText(Prot)})";
}

/// <summary>A user read of the first byte of one page; the byte read is observed.</summary>
public sealed record ReadStep(string Label, int PageOffset) : LabelStep(Label, PageOffset, 1)
{
    public override string Text => $"read({PageText(Label, PageOffset)})";
}

/// <summary>A user write of <see cref="Value"/> to the first byte of one page.</summary>
public sealed record WriteStep(string Label, int PageOffset, byte Value) : LabelStep(Label, PageOffset, 1)
{
    public override string Text =>
        $"write({PageText(Label, PageOffset)}, 0x{Value.ToString("x2", CultureInfo.InvariantCulture)})";
}

/// <summary>
/// A write of <see cref="Value"/> to the first byte of one page through /proc/PID/mem: get_user_pages
/// with FOLL_FORCE | FOLL_WRITE, which writes even a read-only private mapping (by breaking COW).
/// <see cref="Into"/> names a child this process forked (its memory is written), or is null for /proc/self/mem.
/// </summary>
public sealed record ProcMemWriteStep(string Label, int PageOffset, byte Value, ProcessId? Into) : LabelStep(Label, PageOffset, 1)
{
    public override string Text =>
        $"procmem-write({(Into is ProcessId p ? p.ToString() : "self")}, {PageText(Label, PageOffset)}, 0x{Value.ToString("x2", CultureInfo.InvariantCulture)})";
}

/// <summary>madvise(MADV_DONTNEED): zaps the pages; private anonymous memory reads zero again.</summary>
public sealed record MadviseDontneedStep(string Label, int PageOffset, int Pages)
    : LabelStep(Label, PageOffset, Pages)
{
    public override string Text => $"madvise({PageText(Label, PageOffset)}, {PagesText(Pages)}, MADV_DONTNEED)";
}

/// <summary>mlock: locks the pages, which populates them (writable private ones with a write fault).</summary>
public sealed record MlockStep(string Label, int PageOffset, int Pages) : LabelStep(Label, PageOffset, Pages)
{
    public override string Text => $"mlock({PageText(Label, PageOffset)}, {PagesText(Pages)})";
}

/// <summary>munlock of pages locked before.</summary>
public sealed record MunlockStep(string Label, int PageOffset, int Pages) : LabelStep(Label, PageOffset, Pages)
{
    public override string Text => $"munlock({PageText(Label, PageOffset)}, {PagesText(Pages)})";
}

/// <summary>fork: the running process (the root) creates <see cref="Child"/>, a copy-on-write copy.</summary>
public sealed record ForkStep(ProcessId Child) : ProgramStep
{
    public override string Text => $"fork() = {Child}";
}

/// <summary>exit of the running process (a child); its mm is torn down before the next step.</summary>
public sealed record ExitStep : ProgramStep
{
    public override string Text => "exit()";
}

/// <summary>execve(): the process gets a fresh address space (a stack only); its labels no longer point anywhere.</summary>
public sealed record ExecveStep : ProgramStep
{
    public override string Text => "execve()";
}

/// <summary>brk(current + pages): grows (positive) or shrinks (negative) the heap by whole pages.</summary>
public sealed record BrkStep(int Pages) : ProgramStep
{
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"brk({Pages:+0;-0} pages)");
}

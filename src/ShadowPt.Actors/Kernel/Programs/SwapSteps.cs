using System.Globalization;

namespace ShadowPt.Kernel.Programs;

/// <summary>madvise(MADV_PAGEOUT): the private anonymous pages mapped once go to swap (when a swap device exists).</summary>
public sealed record MadvisePageoutStep(string Label, int PageOffset, int Pages) : LabelStep(Label, PageOffset, Pages)
{
    public override string Text => $"madvise({PageText(Label, PageOffset)}, {PagesText(Pages)}, MADV_PAGEOUT)";
}

/// <summary>process_madvise(pidfd of <see cref="Target"/>, MADV_PAGEOUT) over pages at a fixed address of that process.</summary>
public sealed record ProcessMadvisePageoutStep(string Target, ulong Address, int Pages) : ProgramStep
{
    public override string Text =>
        string.Create(CultureInfo.InvariantCulture, $"process_madvise({Target}, 0x{Address:x}, {PagesText(Pages)}, MADV_PAGEOUT)");
}

/// <summary>Writes 4 to /proc/PID/clear_refs of <see cref="Target"/> (a process name, pidof), or of the process itself when null.</summary>
public sealed record ClearRefsStep(string? Target) : ProgramStep
{
    public override string Text => $"clear_refs({Target ?? "self"}, 4)";
}

/// <summary>mlockall(flags), or munlockall() when the flags are none.</summary>
public sealed record MlockallStep(MlockallFlags Flags) : ProgramStep
{
    public override string Text => Flags == MlockallFlags.None ? "munlockall()" : $"mlockall({Flags})";
}

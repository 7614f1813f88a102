using System.Collections.Immutable;
using ShadowPt.Kernel.Programs;

namespace ShadowPt.Kernel.Conformance;

/// <summary>
/// The built-in conformance programs: small programs whose every observation a kernel engineer can
/// predict, run on Linux and on the simulator and compared fact by fact.
/// </summary>
public static class ConformancePrograms
{
    /// <summary>Every built-in program, in the order <c>shadowpt conformance</c> runs them.</summary>
    public static ImmutableArray<ProcessProgram> All { get; } =
    [
        FirstRead(),
        WriteAfterRead(),
        FreshWrite(),
        ForkWriteChild(),
        ForkWriteParent(),
        WriteAfterChildExit(),
        MunmapMiddle(),
        MprotectSplit(),
        WriteReadOnly(),
        StackGrowth(),
        SharedAfterFork(),
        DontneedRead(),
        MlockRead(),
        MprotectThenWrite(),
        MprotectRestore(),
        ForkZeroPage(),
        PageoutWithoutSwap(),
        PageoutMlocked(),
        ClearRefsWithoutSoftDirty(),
    ];

    /// <summary>The built-in program named <paramref name="name"/>; throws when there is none.</summary>
    public static ProcessProgram Get(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"no conformance program is named '{name}'", nameof(name));

    private static ProcessProgram FirstRead() =>
        new ProgramBuilder("first-read", "the first read of anonymous memory maps the shared zero page: one fault, not exclusive")
            .Mmap("a", 1).Read("a", 0).Read("a", 0).Build();

    private static ProcessProgram WriteAfterRead() =>
        new ProgramBuilder("write-after-read", "a write to a zero-page mapping faults once and gets an exclusive page of its own")
            .Mmap("a", 1).Read("a", 0).Write("a", 0, 0x41).Read("a", 0).Build();

    private static ProcessProgram FreshWrite() =>
        new ProgramBuilder("fresh-write", "the first write to anonymous memory faults once and maps an exclusive zeroed page")
            .Mmap("a", 2).Write("a", 0, 0x41).Read("a", 0).Read("a", 1).Build();

    private static ProcessProgram ForkWriteChild() =>
        new ProgramBuilder("fork-write-child", "after fork the page is shared; the child's write copies it, the parent keeps the original")
            .Mmap("a", 1).Write("a", 0, 0x41).Fork(out ProcessId child)
            .Write("a", 0, 0x42, by: child).Read("a", 0).Read("a", 0, by: child).Exit(child).Build();

    private static ProcessProgram ForkWriteParent() =>
        new ProgramBuilder("fork-write-parent", "after fork the parent's write copies the page; the child keeps the original")
            .Mmap("a", 1).Write("a", 0, 0x41).Fork(out ProcessId child)
            .Write("a", 0, 0x42).Read("a", 0, by: child).Exit(child).Build();

    private static ProcessProgram WriteAfterChildExit() =>
        new ProgramBuilder("write-after-child-exit", "once the child has exited the parent's write reuses its page: one fault, same frame")
            .Mmap("a", 1).Write("a", 0, 0x41).Fork(out ProcessId child).Exit(child)
            .Write("a", 0, 0x42).Read("a", 0).Build();

    private static ProcessProgram MunmapMiddle() =>
        new ProgramBuilder("munmap-middle", "munmap of the middle page splits the VMA in two; the hole raises SIGSEGV")
            .Mmap("a", 3).Write("a", 0, 0x41).Write("a", 1, 0x42).Write("a", 2, 0x43)
            .Munmap("a", 1, 1).Read("a", 1).Read("a", 2).Build();

    private static ProcessProgram MprotectSplit() =>
        new ProgramBuilder("mprotect-split", "mprotect of the middle page splits the VMA in three; a write there raises SIGSEGV")
            .Mmap("a", 3).Write("a", 1, 0x41).Mprotect("a", 1, 1, Prot.Read)
            .Write("a", 1, 0x42).Read("a", 1).Build();

    private static ProcessProgram WriteReadOnly() =>
        new ProgramBuilder("write-read-only", "a write to a read-only mapping raises SIGSEGV without counting a fault")
            .Mmap("a", 1, Prot.Read).Write("a", 0, 0x41).Read("a", 0).Write("a", 0, 0x41).Build();

    private static ProcessProgram StackGrowth() =>
        new ProgramBuilder("stack-growth", "an access just below a grows-down mapping extends the VMA and faults once")
            .Mmap("s", 2, (Prot.Read | Prot.Write), (MapFlags.Private | MapFlags.Anonymous) | MapFlags.GrowsDown)
            .Write("s", -1, 0x41).Read("s", -1).Write("s", -4, 0x42).Build();

    private static ProcessProgram SharedAfterFork() =>
        new ProgramBuilder("shared-after-fork", "a MAP_SHARED page written by the child is read by the parent: same frame, one fault each")
            .Mmap("a", 1, (Prot.Read | Prot.Write), (MapFlags.Shared | MapFlags.Anonymous)).Fork(out ProcessId child)
            .Write("a", 0, 0x5a, by: child).Read("a", 0).Exit(child).Build();

    private static ProcessProgram DontneedRead() =>
        new ProgramBuilder("dontneed-read", "MADV_DONTNEED zaps a private page; the next read faults and sees the zero page")
            .Mmap("a", 1).Write("a", 0, 0x41).MadviseDontneed("a", 0, 1).Read("a", 0).Build();

    private static ProcessProgram MlockRead() =>
        new ProgramBuilder("mlock-read", "mlock populates writable private pages with write faults; later reads do not fault")
            .Mmap("a", 2).Mlock("a", 0, 2).Read("a", 1).Munlock("a", 0, 2).Build();

    private static ProcessProgram MprotectThenWrite() =>
        new ProgramBuilder("mprotect-then-write", "after mprotect makes a zero-page mapping writable, a write faults once")
            .Mmap("a", 1, Prot.Read).Read("a", 0).Mprotect("a", 0, 1, (Prot.Read | Prot.Write)).Write("a", 0, 0x41).Build();

    private static ProcessProgram MprotectRestore() =>
        new ProgramBuilder("mprotect-restore", "read-only and back: the VMAs merge again and an exclusive page is written without a fault")
            .Mmap("a", 2).Write("a", 0, 0x41).Mprotect("a", 0, 1, Prot.Read)
            .Mprotect("a", 0, 1, (Prot.Read | Prot.Write)).Write("a", 0, 0x42).Build();

    private static ProcessProgram ForkZeroPage() =>
        new ProgramBuilder("fork-zero-page", "parent and child share the zero page; the child's write gets a new page and the parent keeps it")
            .Mmap("a", 1).Read("a", 0).Fork(out ProcessId child).Write("a", 0, 0x41, by: child).Exit(child).Build();

    /// <summary>Holds on a machine without swap (the reference machine: /proc/swaps is empty), as the simulator's default.</summary>
    private static ProcessProgram PageoutWithoutSwap() =>
        new ProgramBuilder("pageout-no-swap", "without a swap device MADV_PAGEOUT leaves an anonymous page mapped: the next read takes no fault and finds the same frame")
            .Mmap("a", 2).Write("a", 0, 0x41).Step(new MadvisePageoutStep("a", 0, 2)).Read("a", 0).Build();

    private static ProcessProgram PageoutMlocked() =>
        new ProgramBuilder("pageout-mlocked", "MADV_PAGEOUT on an mlocked range fails with EINVAL and the page stays")
            .Mmap("a", 1).Write("a", 0, 0x41).Mlock("a", 0, 1).Step(new MadvisePageoutStep("a", 0, 1)).Read("a", 0).Build();

    /// <summary>Holds on a kernel without CONFIG_MEM_SOFT_DIRTY (the reference machine), as the simulator's default.</summary>
    private static ProcessProgram ClearRefsWithoutSoftDirty() =>
        new ProgramBuilder("clear-refs-no-soft-dirty", "without CONFIG_MEM_SOFT_DIRTY writing 4 to clear_refs succeeds but write-protects nothing: the next write takes no fault")
            .Mmap("a", 1).Write("a", 0, 0x41).Step(new ClearRefsStep(null)).Write("a", 0, 0x42).Read("a", 0).Build();
}

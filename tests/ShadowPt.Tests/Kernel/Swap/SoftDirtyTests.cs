using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;

namespace ShadowPt.Tests.Kernel.Swap;

/// <summary>clear_refs 4, soft-dirty through write faults, swap and new VMAs, and pagemap bit 55.</summary>
public sealed class SoftDirtyTests
{
    private static ProgramBuilder Written() =>
        new ProgramBuilder("target", "soft-dirty test").Mmap("data", 4).Write("data", 0, 0x41).Write("data", 1, 0x42).Write("data", 2, 0x43);

    [Fact]
    public void ClearRefsClearsSoftDirtyAndWriteProtectsSoTheNextWriteFaultsAndSetsItAgain()
    {
        ProcessProgram program = Written().Step(new ClearRefsStep(null)).Write("data", 1, 0x52).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);

        PagemapEntry clean = SwapWorld.Entry(s, SwapWorld.Data, 0);
        Assert.True(clean.Present);
        Assert.False(clean.SoftDirty);
        Assert.False(SwapWorld.PteOf(s, SwapWorld.Data, 0).IsWrite);
        Assert.False(SwapWorld.PteOf(s, SwapWorld.Data, 0).IsSoftDirty);

        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 1).SoftDirty);
        Pte rewritten = SwapWorld.PteOf(s, SwapWorld.Data, 1);
        Assert.True(rewritten.IsWrite && rewritten.IsDirty && rewritten.IsSoftDirty);
        Assert.Equal(0x52, SwapWorld.FirstByte(s, SwapWorld.Data, 1));
        Assert.False(SwapWorld.Entry(s, SwapWorld.Data, 3).SoftDirty); // untouched, and the VMA lost VM_SOFTDIRTY
        Assert.Equal(VmFlags.None, s.Task(SwapWorld.Target(s)).Mm!.Vmas.VmaLookup(SwapWorld.Data)!.VmFlags & VmFlags.SoftDirty);
    }

    [Fact]
    public void ANewMappingIsSoftDirtyInEveryPageThroughVmSoftdirty()
    {
        ProcessProgram program = Written().Step(new ClearRefsStep(null)).Mmap("fresh", 2).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        MmStruct mm = s.Task(SwapWorld.Target(s)).Mm!;
        VmArea fresh = mm.Vmas.All.Single(v => v.VmStart != SwapWorld.Data && v.Pages == 2 && (v.VmFlags & VmFlags.SoftDirty) != 0);
        IReadOnlyList<PagemapEntry> entries = ProcessMemory.ReadPagemap(s, SwapWorld.Target(s), fresh.Range);
        Assert.All(entries, e => Assert.True(e.SoftDirty && !e.Present));
    }

    [Fact]
    public void SoftDirtySurvivesSwapOutAndSwapInBothWays()
    {
        ProcessProgram program = Written().Step(new ClearRefsStep(null)).Write("data", 1, 0x52)
            .Step(new MadvisePageoutStep("data", 0, 2))
            .Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 0) is { Swapped: true, SoftDirty: false });
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 1) is { Swapped: true, SoftDirty: true });
        Assert.True(SwapWorld.PteOf(s, SwapWorld.Data, 1).IsSwpSoftDirty);

        ProcessProgram back = Written().Step(new ClearRefsStep(null)).Write("data", 1, 0x52)
            .Step(new MadvisePageoutStep("data", 0, 2)).Read("data", 0).Read("data", 1).Build();
        (report, s) = SwapWorld.Run(back, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 0) is { Present: true, SoftDirty: false });
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 1) is { Present: true, SoftDirty: true });
        Assert.Equal(0x41, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
        Assert.Equal(0x52, SwapWorld.FirstByte(s, SwapWorld.Data, 1));
    }

    [Fact]
    public void ClearRefsAlsoClearsTheSoftDirtyBitOfASwapEntry()
    {
        ProcessProgram program = Written().Step(new MadvisePageoutStep("data", 0, 1)).Step(new ClearRefsStep(null)).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 0) is { Swapped: true, SoftDirty: false });
    }

    [Fact]
    public void MprotectDoesNotMakeACleanedPteWritableWithoutAFault()
    {
        ProcessProgram program = Written().Step(new ClearRefsStep(null)).Mprotect("data", 0, 1, Prot.Read).Mprotect("data", 0, 1, Prot.Read | Prot.Write).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.False(SwapWorld.PteOf(s, SwapWorld.Data, 0).IsWrite);
        Assert.False(SwapWorld.Entry(s, SwapWorld.Data, 0).SoftDirty);
    }

    [Fact]
    public void WithoutMemSoftDirtyClearRefsSucceedsButPagemapNeverShowsBit55AsOnTheReferenceMachine()
    {
        ProcessProgram program = Written().Step(new ClearRefsStep(null)).Write("data", 1, 0x52).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine(softDirty: false));
        Assert.Null(report.Violation);
        Assert.All(ProcessMemory.ReadPagemap(s, SwapWorld.Target(s), new AddrRange(SwapWorld.Data, SwapWorld.Data + (4 * PageGeometry.PageSize))), e => Assert.False(e.SoftDirty));
        Assert.True(SwapWorld.PteOf(s, SwapWorld.Data, 0).IsWrite); // nothing was write-protected
    }

    [Fact]
    public void PagemapEntryDecodesEveryField()
    {
        var present = new PagemapEntry(new VirtAddr(0x1000), Pagemap.Present | Pagemap.SoftDirty | Pagemap.MmapExclusive | 0x42);
        Assert.Equal(0x42UL, present.Pfn);
        Assert.Equal("0x1000 present pfn 0x42 soft-dirty exclusive", present.ToString());
        var swapped = new PagemapEntry(new VirtAddr(0x2000), Pagemap.Swap | (7UL << Pagemap.MaxSwapfilesShift) | 3);
        Assert.Equal((3u, 7UL, 0UL), (swapped.SwapType, swapped.SwapOffset, swapped.Pfn));
    }
}

using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Kernel.Swap;

/// <summary>MADV_PAGEOUT, do_swap_page, swap entries through fork and munmap, pagemap's swap bits, and mlock.</summary>
public sealed class PageoutTests
{
    private static ProgramBuilder Target() => new ProgramBuilder("target", "pageout test").Mmap("data", 4);

    [Fact]
    public void PageoutTurnsThePteIntoASwapEntryThatPagemapAndTheShadowTableReportAsNotMapped()
    {
        ProcessProgram program = Target().Write("data", 0, 0x51).Write("data", 1, 0x52).Step(new MadvisePageoutStep("data", 0, 1)).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);

        PagemapEntry swapped = SwapWorld.Entry(s, SwapWorld.Data, 0);
        Assert.True(swapped.Swapped);
        Assert.False(swapped.Present);
        Assert.Equal(0u, swapped.SwapType);
        Assert.Equal(1UL, swapped.SwapOffset); // slot 0 is the header, as on Linux
        Assert.Equal(Pagemap.Swap | (1UL << Pagemap.MaxSwapfilesShift) | Pagemap.SoftDirty, swapped.Raw);
        Assert.Equal(0x51, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 1).Present);

        ShadowPte shadow = ShadowTruth.Of(s.Task(SwapWorld.Target(s)).Mm, SwapWorld.Data);
        Assert.Equal(0UL, shadow.Pfn);
        Assert.Equal(0UL, shadow.StateFlags & global::ShadowPt.Spt.Spt.SptePteMapped);
        Assert.Equal(1, SwapInfo.Of(s).InusePages);
    }

    [Fact]
    public void ASwappedPageComesBackOnAMajorFaultWithItsContentsAndItsSlotIsFreed()
    {
        ProcessProgram program = Target().Write("data", 0, 0x51).Step(new MadvisePageoutStep("data", 0, 1)).Read("data", 0).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        PagemapEntry back = SwapWorld.Entry(s, SwapWorld.Data, 0);
        Assert.True(back.Present);
        Assert.False(back.Swapped);
        Assert.Equal(0x51, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
        Assert.False(SwapWorld.PteOf(s, SwapWorld.Data, 0).IsWrite); // a read fault maps it write-protected
        Assert.Equal(1, s.Task(SwapWorld.Target(s)).Mm!.MajFlt);
        Assert.Equal(0, SwapInfo.Of(s).InusePages);
        Assert.Equal(1, SwapInfo.Of(s).PagesSwappedIn);
    }

    [Fact]
    public void AWriteAfterSwapInReusesThePageAndKeepsTheNewValue()
    {
        ProcessProgram program = Target().Write("data", 0, 0x51).Step(new MadvisePageoutStep("data", 0, 1)).Read("data", 0).Write("data", 0, 0x61).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.Equal(0x61, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
        Assert.True(SwapWorld.PteOf(s, SwapWorld.Data, 0).IsWrite);
    }

    [Fact]
    public void ForkSharesTheSlotAndMunmapAndExitReleaseIt()
    {
        ProcessProgram program = Target().Write("data", 0, 0x51).Write("data", 1, 0x52)
            .Step(new MadvisePageoutStep("data", 0, 2))
            .Fork(out ProcessId child)
            .Read("data", 0, by: child)
            .Exit(child)
            .Munmap("data", 1, 1)
            .Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation); // the resource check counts slots against swap PTEs
        PagemapEntry first = SwapWorld.Entry(s, SwapWorld.Data, 0);
        Assert.True(first.Swapped);
        Assert.Equal(1, SwapInfo.Of(s).SwapCount(SwapWorld.PteOf(s, SwapWorld.Data, 0).PteToSwpEntry()));
        Assert.Equal(1, SwapInfo.Of(s).InusePages); // page 1's slot went with munmap, the child's references with its exit
        Assert.Equal(0x51, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
    }

    [Fact]
    public void MlockedPagesAreNeverPagedOutAndMadvisePageoutOnThemFails()
    {
        ProcessProgram program = new ProgramBuilder("target", "mlock")
            .Mmap("locked", 2).Write("locked", 0, 0x4c).Write("locked", 1, 0x4d).Mlock("locked", 0, 1)
            .Step(new MadvisePageoutStep("locked", 0, 2))
            .Step(new MlockallStep(MlockallFlags.Current))
            .Step(new MadvisePageoutStep("locked", 1, 1))
            .Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Locked, 0).Present);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Locked, 1).Present);
        Assert.Equal(0, SwapInfo.Of(s).InusePages);
        Assert.Equal(0, SwapInfo.Of(s).PagesSwappedOut);
    }

    [Fact]
    public void WithoutASwapDevicePageoutLeavesAnonymousPagesInPlaceAsOnTheReferenceMachine()
    {
        ProcessProgram program = Target().Write("data", 0, 0x51).Step(new MadvisePageoutStep("data", 0, 1)).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine(swapSlots: 0));
        Assert.Null(report.Violation);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 0).Present);
    }

    [Fact]
    public void AFullSwapDeviceStopsPageoutAndTheRestStaysMapped()
    {
        ProcessProgram program = Target().Write("data", 0, 1).Write("data", 1, 2).Write("data", 2, 3).Step(new MadvisePageoutStep("data", 0, 3)).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine(swapSlots: 2));
        Assert.Null(report.Violation);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 0).Swapped);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 1).Swapped);
        Assert.True(SwapWorld.Entry(s, SwapWorld.Data, 2).Present);
    }

    [Fact]
    public void TheResourceCheckReportsALeakedSlot()
    {
        ProcessProgram program = Target().Write("data", 0, 0x51).Build();
        (RunReport report, KernelState s) = SwapWorld.Run(program, SwapWorld.Machine());
        Assert.Null(report.Violation);
        Assert.NotNull(SwapInfo.Of(s).GetSwapPage()); // a slot nobody refers to
        var findings = new List<string>();
        global::ShadowPt.Checking.SwapSlotChecker.AddFindings(s, findings);
        string finding = Assert.Single(findings);
        Assert.Contains("slot 1: count 1, swap PTEs 0", finding, StringComparison.Ordinal);
    }
}

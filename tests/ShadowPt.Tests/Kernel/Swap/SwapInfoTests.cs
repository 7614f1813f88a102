using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.Swap;

/// <summary>The swap device's bookkeeping on its own, and the error paths of the two system calls.</summary>
public sealed class SwapInfoTests
{
    private static SwapInfo Device(int slots)
    {
        var s = new KernelState(new MachineConfig { SwapSlots = slots, Frames = 64 });
        return SwapInfo.Of(s);
    }

    [Fact]
    public void SlotsAreHandedOutLowestFirstFromOffsetOneAndFreedWhenTheLastReferenceGoes()
    {
        SwapInfo swap = Device(2);
        SwpEntry a = swap.GetSwapPage()!.Value;
        SwpEntry b = swap.GetSwapPage()!.Value;
        Assert.Equal((1UL, 2UL), (a.Offset, b.Offset));
        Assert.Null(swap.GetSwapPage());

        byte[] page = new byte[PageGeometry.PageSize];
        page[0] = 0x5a;
        swap.SwapWritepage(a, page);
        swap.SwapDuplicate(a);
        Assert.Equal(2, swap.SwapCount(a));
        Assert.False(swap.SwapFree(a));
        var back = new byte[PageGeometry.PageSize];
        swap.SwapReadPage(a, back);
        Assert.Equal(0x5a, back[0]);
        Assert.True(swap.SwapFree(a));
        Assert.Equal(0, swap.SwapCount(a));
        Assert.False(swap.TryPeek(a, back));
        Assert.Equal(new SwpEntry(0, 1), swap.GetSwapPage());
        swap.AssertInvariants();
        Assert.Equal(2, swap.InusePages);
    }

    [Fact]
    public void UsingAFreeSlotIsAKernelBug()
    {
        SwapInfo swap = Device(1);
        Assert.Throws<KernelBugException>(() => swap.SwapFree(new SwpEntry(0, 1)));
        Assert.Throws<KernelBugException>(() => swap.SwapDuplicate(new SwpEntry(0, 5)));
        Assert.Null(Device(0).GetSwapPage());
    }

    [Fact]
    public void ClearRefsAndProcessMadviseOnAMissingProcessAnswerEsrch()
    {
        ProcessProgram target = new ProgramBuilder("target", "maps").Mmap("data", 1).Write("data", 0, 1).Build();
        ProcessProgram other = new ProgramBuilder("other", "asks for a process that does not exist, then for the target")
            .Step(new ClearRefsStep("nobody")).Step(new ProcessMadvisePageoutStep("nobody", SwapWorld.Data.Value, 1))
            .Step(new ClearRefsStep("target") { ThinkTicks = 2 }).Build();
        var returns = new List<(string Name, long Ret)>();
        ShadowPtScenario built = SwapWorld.Scenario(target, SwapWorld.Machine(), other);
        var scenario = new ShadowPtScenario(built.Definition with { Monitors = [() => new ReturnRecorder(returns)] });
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 1, StepsMax = 200_000 });
        Assert.Null(report.Violation);
        long esrch = global::ShadowPt.Kernel.Syscalls.Err(Errno.ESRCH);
        Assert.Equal([("clear_refs", esrch), ("process_madvise", esrch), ("clear_refs", 0L)], returns);
        Assert.Single(ClearRefsLog.Of(scenario.Machine!.State).Records); // only the last call reached a target
        Assert.Equal(0, SwapInfo.Of(scenario.Machine!.State).InusePages);
    }

    /// <summary>Records what clear_refs and process_madvise returned, in order.</summary>
    private sealed class ReturnRecorder : global::ShadowPt.Checking.SpecMonitor
    {
        public ReturnRecorder(List<(string Name, long Ret)> sink)
            : base("returns")
        {
            global::ShadowPt.Checking.MonitorState watching = Cold("watching");
            watching.On<global::ShadowPt.Checking.SyscallReturned>(e =>
            {
                if (e.Call is ClearRefsCall or MadvisePageoutCall)
                {
                    sink.Add((e.Call.Name, e.Ret));
                }
            });
            Start(watching);
        }
    }
}

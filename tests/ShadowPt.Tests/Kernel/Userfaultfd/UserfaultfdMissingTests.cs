using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using static ShadowPt.Tests.Kernel.Userfaultfd.UffdWorld;

namespace ShadowPt.Tests.Kernel.Userfaultfd;

/// <summary>MISSING mode: faults block until the monitor's UFFDIO_COPY / ZEROPAGE, across interleavings, with the shadow table consistent.</summary>
public sealed class UserfaultfdMissingTests
{
    private const byte Fill = 0x30;

    [Fact]
    public void TheBuiltInScenarioResolvesEveryFaultWithTheCopiedBufferOnManySeeds()
    {
        for (ulong seed = 1; seed <= 12; seed++)
        {
            ShadowPtScenario scenario = UserfaultfdScenario.Create();
            RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000 });
            Assert.Null(report.Violation);
            KernelState s = scenario.Machine!.State;
            UffdState u = Uffd(s);
            UserfaultfdCtx ctx = u.Contexts.Single();
            Assert.Equal(3, ctx.ReadLog.Count(m => m.Event == UffdEvent.Pagefault));
            Assert.Contains(ctx.ReadLog, m => m.Event == UffdEvent.Remove && m.Address == Page(Heap, 1));
            Assert.Equal(new long[] { 0, 0, 0 }, Results(s, "UFFDIO_COPY"));
            Assert.Equal(3, u.FaultsBlocked);
            Assert.Empty(u.Blocked);
            Assert.False(ctx.Released); // the monitor exited, but the target still holds its own descriptor
            Assert.Equal(1, ctx.FileRefs);
            Assert.Contains(s.Task(TargetPid).Mm!.Vmas.All, UffdApi.IsRegistered);
            Assert.Equal(Copied(UserfaultfdScenario.Fill), PageOf(s, TargetPid, Page(Heap, 2)));
            byte[] written = Copied(UserfaultfdScenario.Fill);
            written[0] = 0x41;
            Assert.Equal(written, PageOf(s, TargetPid, Page(Heap, 0)));
        }
    }

    /// <summary>The target reads a page while the monitor copies it at once (no read first): either order, no lost wake-up.</summary>
    [Fact]
    public void AFaultRacingWithCopyOnAnotherCpuIsNeverLostAndSeesTheCopy()
    {
        ProcessProgram program = new ProgramBuilder("uffd-race", "a read fault races with UFFDIO_COPY of the same page")
            .Mmap("heap", 2)
            .Fork(out ProcessId monitor)
            .Userfaultfd()
            .UffdRegister("heap", 0, 2, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdCopy("heap", 0, 1, Fill, by: monitor)
            .Read("heap", 0)
            .Read("heap", 0)
            .Exit(monitor)
            .Build();
        int blockedRuns = 0;
        int unblockedRuns = 0;
        for (ulong seed = 1; seed <= 60; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed, inspector: seed % 4 == 0);
            Assert.Null(report.Violation);
            Assert.Equal(Copied(Fill), PageOf(s, TargetPid, Heap));
            long copy = Results(s, "UFFDIO_COPY").Single();
            Assert.Equal(0, copy);
            Assert.Empty(Uffd(s).Blocked);
            if (Uffd(s).FaultsBlocked > 0)
            {
                blockedRuns++;
            }
            else
            {
                unblockedRuns++;
            }
        }

        Assert.True(blockedRuns > 0 && unblockedRuns > 0, $"both orders must happen: {blockedRuns} blocked, {unblockedRuns} not");
    }

    [Fact]
    public void ZeropageResolvesAReadWithTheZeroPage()
    {
        ProcessProgram program = new ProgramBuilder("uffd-zeropage", "a read fault resolved with UFFDIO_ZEROPAGE")
            .Mmap("heap", 1)
            .Fork(out ProcessId monitor)
            .Userfaultfd()
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.Zeropage, by: monitor)
            .Read("heap", 0)
            .Exit(monitor)
            .Build();
        for (ulong seed = 1; seed <= 8; seed++)
        {
            (RunReport report, KernelState s) = Run(program, seed);
            Assert.Null(report.Violation);
            Assert.Equal(FrameAllocator.ZeroPfn, PteOf(s, TargetPid, Heap).Pfn);
            Assert.Equal(new long[] { 0 }, Results(s, "UFFDIO_ZEROPAGE"));
            Assert.Equal(UffdPagefaultFlags.None, Uffd(s).Contexts[0].ReadLog.Single().Flags);
        }
    }

    [Fact]
    public void DontwakeLeavesTheTaskAsleepUntilUffdioWake()
    {
        ProcessProgram withWake = Dontwake(wake: true);
        for (ulong seed = 1; seed <= 8; seed++)
        {
            (RunReport report, KernelState s) = Run(withWake, seed, inspector: false);
            Assert.Null(report.Violation);
            Assert.Equal(new long[] { 0 }, Results(s, "UFFDIO_COPY"));
            Assert.Equal(new long[] { 0 }, Results(s, "UFFDIO_WAKE"));
            Assert.Equal(UffdPagefaultFlags.Write, Uffd(s).Contexts[0].ReadLog.Single().Flags);
            Assert.Equal(0x41, PageOf(s, TargetPid, Heap)[0]);
        }

        // Without the wake the copy is in place, but the task sleeps forever: the run ends with it blocked.
        (RunReport stuck, KernelState t) = Run(Dontwake(wake: false), 3, inspector: false);
        Assert.NotNull(stuck.Violation);
        Assert.Contains(stuck.Violation!.Kind, new[] { "deadlock", "liveness" });
        Assert.Single(Uffd(t).Blocked);
        Assert.Equal(Copied(Fill), PageOf(t, TargetPid, Heap));
    }

    private static ProcessProgram Dontwake(bool wake)
    {
        ProgramBuilder b = new ProgramBuilder("uffd-dontwake", "UFFDIO_COPY with MODE_DONTWAKE, then UFFDIO_WAKE or not")
            .Mmap("heap", 1)
            .Fork(out ProcessId monitor)
            .Userfaultfd()
            .UffdRegister("heap", 0, 1, UffdRegisterMode.Missing)
            .UffdSend(monitor)
            .UffdRecv(monitor)
            .UffdServe(1, UffdResolve.None, by: monitor)
            .UffdCopy("heap", 0, 1, Fill, dontWake: true, by: monitor);
        if (wake)
        {
            b = b.UffdWake("heap", 0, 1, by: monitor);
        }

        return b.Write("heap", 0, 0x41).Build();
    }

    [Fact]
    public void TheSameSeedGivesTheSameTraceHashAndASavedScheduleReplaysToIt()
    {
        for (ulong seed = 1; seed <= 3; seed++)
        {
            RunReport first = ScenarioRunner.Run(UserfaultfdScenario.Create, new RunOptions { Seed = seed });
            RunReport second = ScenarioRunner.Run(UserfaultfdScenario.Create, new RunOptions { Seed = seed });
            Assert.Null(first.Violation);
            Assert.Equal(first.TraceHash, second.TraceHash);
            Assert.Equal(first.Steps, second.Steps);
            RunReport replay = ScenarioRunner.Replay(UserfaultfdScenario.Create(), first.Schedule, null);
            Assert.Equal(first.TraceHash, replay.TraceHash);
        }
    }

    [Fact]
    public void TheBuiltInIsInTheCatalog()
    {
        Scenario? scenario = ScenarioCatalog.TryCreate("userfaultfd");
        Assert.NotNull(scenario);
        Assert.Contains("UFFDIO_COPY", scenario!.Summary, StringComparison.Ordinal);
    }
}

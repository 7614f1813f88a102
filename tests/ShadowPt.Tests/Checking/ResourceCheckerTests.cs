using ShadowPt.Actors;
using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using ShadowPt.Tests.Spt;
using ShadowPt.Tests.TestKit;
using Xunit.Abstractions;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// The end-of-run resource check: leaks made by hand on a machine (a frame nobody owns, a reference
/// too many, a notifier on a dead mm) and by bug variants, each reported exactly; a clean machine,
/// with processes alive or all gone, reports nothing.
/// </summary>
public sealed class ResourceCheckerTests(ITestOutputHelper output)
{
    /// <summary>A process with two written anonymous pages: frames owned by its page table and its PTEs.</summary>
    private static (SimMachine Sim, int Pid, VirtAddr Buf) Busy()
    {
        var sim = new SimMachine(2, frames: 64);
        int pid = sim.Spawn("p");
        VirtAddr buf = sim.Mmap(pid, 0, 2);
        sim.Write(pid, 0, buf, 1);
        sim.Write(pid, 0, buf + SimMachine.Page, 2);
        return (sim, pid, buf);
    }

    private string? Check(SimMachine sim)
    {
        string? report = ResourceChecker.Check(sim.State);
        output.WriteLine(report ?? "clean");
        return report;
    }

    [Fact]
    public void AMachineWithLiveProcessesOrNoneLeftIsClean()
    {
        (SimMachine sim, int pid, _) = Busy();
        using (sim)
        {
            Assert.Null(Check(sim));
            sim.Exit(pid, 0);
            Assert.Null(Check(sim));
            Assert.Equal(0, sim.State.Frames.AllocatedCount);
        }
    }

    [Fact]
    public void AFrameNobodyOwnsIsReportedWithItsHistory()
    {
        (SimMachine sim, _, _) = Busy();
        using (sim)
        {
            Pfn lost = sim.State.Frames.AllocPage(FrameKind.Anon, new Provenance(sim.System.Steps, "cpu0 pid 1 test: alloc_page, never mapped"))!.Value;
            Assert.Equal(
                """
                resource leak at the end of the run:
                frames allocated but owned by nothing (no live mm maps them or holds them as page tables, no page cache, no open shadow table): 1
                 pfn 0x8: Anon, refcount 1, mapcount 0, generation 1; last allocated by 'cpu0 pid 1 test: alloc_page, never mapped' at step 52; last freed by nobody

                """.ReplaceLineEndings("\n"),
                Check(sim));
            Assert.Equal(8UL, lost.Value);
        }
    }

    [Fact]
    public void AReferenceTooManyOnAMappedPageIsReported()
    {
        (SimMachine sim, int pid, VirtAddr buf) = Busy();
        using (sim)
        {
            Pfn page = sim.PteOf(pid, buf).Pfn;
            sim.State.Frames.GetPage(page, new Provenance(sim.System.Steps, "cpu1 pid 1 test: get_page without put_page"));
            Assert.Equal(
                """
                resource leak at the end of the run:
                frames whose counts differ from what their owners account for (a get_page, put_page or map count went astray): 1
                 pfn 0x6: Anon, refcount 2, mapcount 1, generation 1; last allocated by 'cpu0 pid 1 do_anonymous_page' at step 20; last freed by nobody [owners account for refcount 1, mapcount 1]

                """.ReplaceLineEndings("\n"),
                Check(sim));
        }
    }

    [Fact]
    public void ANotifierLeftOnADeadMmIsReported()
    {
        (SimMachine sim, int pid, _) = Busy();
        using (sim)
        {
            MmStruct mm = sim.MmOf(pid);
            sim.Exit(pid, 0);
            mm.Notifiers.Add(new MmuNotifier(7, mm.Id, new ShadowHooks().Notifier));
            Assert.Equal(
                """
                resource leak at the end of the run:
                mm1 is dead but mmu_notifiers are still registered on it: mmu_notifier 7 (shadowpt) on mm1

                """.ReplaceLineEndings("\n"),
                Check(sim));
        }
    }

    [Fact]
    public void StopKeepingItsNotifierLeavesItRegisteredOnTheTarget()
    {
        RunReport report = ScenarioRunner.Run(() => SptScenarios.Busy(4, Variants.StopKeepsNotifier), new RunOptions { Seed = 1, StepsMax = 200_000 });
        Violation v = Assert.IsType<Violation>(report.Violation);
        output.WriteLine(v.Message);
        Assert.Equal("resource-leak", v.Kind);
        Assert.Equal(
            """
            resource leak at the end of the run:
            mmu_notifier 1 (shadowpt) on mm1 is still registered, but no open shadow table tracks with it (stop or close left it behind)

            """.ReplaceLineEndings("\n"),
            v.Message);
    }

    [Fact]
    public void AnInspectorExitingWithoutReleaseLeavesTheTableOpenWithItsFrames()
    {
        var scenario = new ShadowPtScenario(
            "leaky-exit",
            new MachineConfig { Cpus = 2, Frames = 512, Variants = new HashSet<string>([Variants.InspectorExitLeaks], StringComparer.Ordinal) },
            ShadowPtScenario.DefaultTarget(),
            pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 2, Ending = InspectorEnding.ExitWithoutClose });
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = 1 });
        Violation v = Assert.IsType<Violation>(report.Violation);
        output.WriteLine(v.Message);
        Assert.Equal("resource-leak", v.Kind);
        Assert.Equal(
            """
            resource leak at the end of the run:
            the shadow table is still open after its inspector (pid 2) exited; its frames: 0xc

            """.ReplaceLineEndings("\n"),
            v.Message);
    }
}

using System.Globalization;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Kernel.Numa;

/// <summary>One full run of the numa-balancing scenario (221 simulated seconds), shared by the tests that read it.</summary>
public sealed class NumaRunFixture
{
    public NumaRunFixture()
    {
        ShadowPtScenario? scenario = null;
        Report = ScenarioRunner.Run(() => scenario = PolicyScenarios.NumaBalancing(), new RunOptions());
        Scenario = scenario!;
    }

    public RunReport Report { get; }

    public ShadowPtScenario Scenario { get; }

    public KernelState State => Scenario.Machine!.State;

    /// <summary>The target's pid (the first process).</summary>
    public static int TargetPid => 1;
}

/// <summary>NUMA balancing: the scanner, hinting faults on an mlocked page, the seed's intervals, MPOL_BIND.</summary>
public sealed class NumaBalancingTests(NumaRunFixture run) : IClassFixture<NumaRunFixture>
{
    /// <summary>The seed's measured intervals between minor faults, in seconds, as printed there.</summary>
    private static readonly string[] SeedIntervals = ["2", "4", "4", "4.8", "8.16", "13.87", "23.588", "40.104", "60", "60"];

    [Fact]
    public void TheScanIntervalsAreTheSeeds()
    {
        Assert.Null(run.Report.Violation);
        MmStruct mm = run.State.Task(NumaRunFixture.TargetPid).Mm!;
        IReadOnlyList<long> intervals = PolicyReport.ScanIntervalsMs(run.State.Extension<NumaState>().Mm(mm.Id));
        Assert.Equal(SeedIntervals.Length, intervals.Count);
        for (int i = 0; i < SeedIntervals.Length; i++)
        {
            int decimals = SeedIntervals[i].Contains('.', StringComparison.Ordinal) ? SeedIntervals[i].Split('.')[1].Length : 0;
            double model = Math.Round(intervals[i] / 1000.0, decimals, MidpointRounding.ToZero); // the seed truncates 13.872 to 13.87
            Assert.Equal(double.Parse(SeedIntervals[i], CultureInfo.InvariantCulture), model);
        }
    }

    [Fact]
    public void AnMlockedPageStillTakesAMinorFaultAfterEveryScan()
    {
        MmStruct mm = run.State.Task(NumaRunFixture.TargetPid).Mm!;
        VmArea x = mm.Vmas.VmaLookup(PolicyScenarios.XAt)!;
        Assert.True((x.VmFlags & VmFlags.Locked) != 0);
        TaskNuma t = run.State.Extension<NumaState>().FindTask(NumaRunFixture.TargetPid)!;
        int scans = run.State.Extension<NumaState>().Mm(mm.Id).ScanTicks.Count;
        Assert.Equal(11, scans);
        Assert.Equal(scans, t.HintFaults); // each scan revoked access, each next write faulted
        Assert.Equal(2 + t.HintFaults, mm.MinFlt); // mlock's two populate faults, then the hinting faults: all minor
        Assert.Equal(0, mm.MajFlt);
        Assert.Equal(1, t.PagesMigrated); // to node 1, where the task runs, at the first fault
        Assert.Equal(t.HintFaults - 1, t.HintFaultsLocal);
        Pte pte = mm.Pgd.GetPte(PolicyScenarios.XAt);
        Assert.Equal(1, run.State.Config.Numa!.PfnToNode(pte.Pfn, run.State.Config.Frames));
        Assert.Contains(run.Report.Description, l => l.StartsWith("target-1: minflt 13 majflt 0, numa_hint_faults 11", StringComparison.Ordinal));
    }

    [Fact]
    public void BindingTheMemoryPolicyStopsTheHintingFaults()
    {
        ShadowPtScenario? scenario = null;
        RunReport report = ScenarioRunner.Run(() => scenario = PolicyScenarios.NumaBalancing(bind: true, spinTicks: 6000), new RunOptions());
        Assert.Null(report.Violation);
        KernelState s = scenario!.Machine!.State;
        MmStruct mm = s.Task(NumaRunFixture.TargetPid).Mm!;
        Assert.True(s.Extension<NumaState>().Mm(mm.Id).ScanTicks.Count >= 4); // the scanner ran, but skipped every VMA
        Assert.Equal(0, s.Extension<NumaState>().FindTask(NumaRunFixture.TargetPid)!.HintFaults);
        Assert.Equal(2, mm.MinFlt); // only mlock's populate
        Assert.False(mm.Pgd.GetPte(PolicyScenarios.XAt).IsProtNone);
    }

    [Fact]
    public void AProtNonePteStillMapsItsPfnInTheShadowTable()
    {
        using var system = ActorSystem.CreateDeterministic("numa", new RandomStrategy(3), new RuntimeLimits { StepsMax = 2_000_000 });
        ShadowPtScenario scenario = PolicyScenarios.NumaBalancing(spinTicks: 3000);
        scenario.Setup(system);
        int protNoneSeen = 0;
        var wrong = new List<ShadowPte>();
        KernelState s = scenario.Machine!.State;
        system.AddQuiescentObserver(() =>
        {
            MmStruct? mm = s.FindTask(NumaRunFixture.TargetPid)?.Mm;
            VirtAddr y = PolicyScenarios.XAt + SimMachine.Page; // touched once, then left alone
            Pte pte = mm?.Pgd.GetPte(y) ?? Pte.None;
            if (pte.IsProtNone)
            {
                protNoneSeen++;
                ShadowPte truth = ShadowTruth.Of(mm, y);
                if ((truth.StateFlags & global::ShadowPt.Spt.Spt.SptePteMapped) == 0 || truth.Pfn != pte.Pfn.Value)
                {
                    wrong.Add(truth);
                }
            }
        });
        system.Run();
        system.EndRun();
        Assert.Null(system.Violation); // shadow-consistency ran at every quiescent point, across the prot_none changes and the migration
        Assert.True(protNoneSeen > 0, "no quiescent point saw the page PROT_NONE");
        Assert.Empty(wrong); // a PROT_NONE (NUMA hinting) PTE is pte_present: the shadow entry shows it mapped, with its pfn
    }

    [Fact]
    public void ANumaRunIsDeterministicAndReplays()
    {
        RunReport first = ScenarioRunner.Run(() => PolicyScenarios.NumaBalancing(spinTicks: 4000), new RunOptions { Seed = 21 });
        RunReport second = ScenarioRunner.Run(() => PolicyScenarios.NumaBalancing(spinTicks: 4000), new RunOptions { Seed = 21 });
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Description, second.Description);
        RunReport replay = ScenarioRunner.Replay(PolicyScenarios.NumaBalancing(spinTicks: 4000), first.Schedule, null);
        Assert.Equal(first.TraceHash, replay.TraceHash);
    }

    [Fact]
    public void SetMempolicyValidatesItsArguments()
    {
        using var sim = new SimMachine(2, configure: c => c with { Numa = new NumaConfig { Nodes = 2 } });
        int pid = sim.Spawn();
        Assert.Equal(-22, sim.Sys(pid, 0, new SetMempolicyCall(MemPolicyMode.Bind, 0)));
        Assert.Equal(-22, sim.Sys(pid, 0, new SetMempolicyCall(MemPolicyMode.Bind, 1UL << 2)));
        Assert.Equal(-22, sim.Sys(pid, 0, new SetMempolicyCall(MemPolicyMode.Default, 1)));
        Assert.Equal(0, sim.Sys(pid, 0, new SetMempolicyCall(MemPolicyMode.Bind, 0b11)));
        Assert.Equal(MemPolicyMode.Bind, sim.State.Extension<NumaState>().FindTask(pid)!.Policy);
        Assert.Equal(0, sim.Sys(pid, 0, new SetMempolicyCall(MemPolicyMode.Default, 0)));
    }
}

using ShadowPt.Kernel;
using ShadowPt.Kernel.WriteTracking;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Kernel.WriteTracking;

/// <summary>The three write trackers on the same workloads: they agree with each other and with the workload's program.</summary>
public sealed class WriteTrackingTests
{
    [Fact]
    public void TheBuiltInsThreeTrackersReportExactlyThePagesTheWorkloadWrote()
    {
        WriteTrackWorkload workload = WriteTrackingScenario.DefaultWorkload();
        var expected = new[] { workload.AddressOf("a", 1), workload.AddressOf("a", 3), workload.AddressOf("b", 0), workload.AddressOf("b", 2) };
        Assert.Equal(expected.Order(), workload.WrittenPages()); // worked out by hand from DefaultWorkload
        for (ulong seed = 1; seed <= 12; seed++)
        {
            (RunReport report, WriteTrackingScenario scenario) = Run(WriteTrackingScenario.Create, seed);
            Assert.Null(report.Violation);
            var results = scenario.Results();
            Assert.Equal(["mprotect", "soft-dirty", "uffd-wp"], results.Select(r => r.Tracker.Name));
            Assert.All(results, r => Assert.Equal(workload.WrittenPages(), r.Pages));
        }
    }

    [Fact]
    public void GeneratedWorkloadsAgreeAcrossTrackersAndSeeds()
    {
        for (ulong workloadSeed = 1; workloadSeed <= 12; workloadSeed++)
        {
            WriteTrackWorkload workload = Generate(workloadSeed);
            IReadOnlyList<VirtAddr> written = workload.WrittenPages();
            for (ulong seed = 1; seed <= 6; seed++)
            {
                (RunReport report, WriteTrackingScenario scenario) = Run(() => new WriteTrackingScenario(workload, WriteTrackers.All), seed);
                Assert.True(report.Violation is null, $"workload {workloadSeed} seed {seed}: {report.Violation}");
                foreach ((IWriteTracker tracker, IReadOnlyList<VirtAddr> pages) in scenario.Results())
                {
                    Assert.True(written.SequenceEqual(pages), $"workload {workloadSeed} seed {seed}: {tracker.Name} reported [{string.Join(", ", pages)}], wrote [{string.Join(", ", written)}]");
                }
            }
        }
    }

    [Fact]
    public void PagesOnlyReadOrWrittenBeforeTrackingAreNotReported()
    {
        // Every page was populated (even pages written) before tracking; the tracked phase only reads,
        // except one write; the child on the other CPU writes its own copies of other pages meanwhile.
        var workload = new WriteTrackWorkload(
            "reads",
            [new WorkloadMapping("a", 4)],
            [new WorkloadAccess("a", 0, false), new WorkloadAccess("a", 1, false), new WorkloadAccess("a", 2, true, 0x42), new WorkloadAccess("a", 3, false)],
            [new WorkloadAccess("a", 0, true, 0x10), new WorkloadAccess("a", 3, true, 0x13)]);
        for (ulong seed = 1; seed <= 6; seed++)
        {
            (RunReport report, WriteTrackingScenario scenario) = Run(() => new WriteTrackingScenario(workload, WriteTrackers.All), seed);
            Assert.Null(report.Violation);
            Assert.All(scenario.Results(), r => Assert.Equal([workload.AddressOf("a", 2)], r.Pages));
        }
    }

    [Fact]
    public void TheMprotectTrackerLeavesTheStackWritableAndProtectsTheRest()
    {
        (RunReport report, WriteTrackingScenario scenario) = Run(() => new WriteTrackingScenario(WriteTrackingScenario.DefaultWorkload(), [new MprotectTracker()]), 3);
        Assert.Null(report.Violation);
        KernelState s = scenario.Machine!.State;
        TaskStruct target = s.Tasks.First(t => t.Comm == "wt-mprotect");
        IReadOnlyList<MapsLine> maps = MapsLine.ParseAll(ProcMaps.Format(target.Mm!));
        MapsLine stack = Assert.Single(maps, l => l.IsStack);
        Assert.True(stack.Writable);
        IReadOnlyList<VirtAddr> written = scenario.Workload.WrittenPages();
        foreach (AddrRange range in scenario.Workload.Ranges)
        {
            for (VirtAddr page = range.Start; page < range.End; page += PageGeometry.PageSize)
            {
                MapsLine line = Assert.Single(maps, l => l.Range.Contains(page));
                Assert.Equal(written.Contains(page), line.Writable); // written pages got rw back; the rest stayed read-only
            }
        }

        Assert.Equal(written.Count, target.SigsegvCount); // one SIGSEGV per written page, none for the page written twice
        Assert.Equal(SegvCode.Accerr, target.LastSiginfo!.Code);
    }

    [Fact]
    public void ARunIsDeterministicAndReplays()
    {
        (RunReport first, _) = Run(WriteTrackingScenario.Create, 5);
        (RunReport second, _) = Run(WriteTrackingScenario.Create, 5);
        Assert.Null(first.Violation);
        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal(first.Steps, second.Steps);
        RunReport replayed = ScenarioRunner.Replay(WriteTrackingScenario.Create(), first.Schedule, null);
        Assert.Equal(first.TraceHash, replayed.TraceHash);
        (RunReport other, _) = Run(WriteTrackingScenario.Create, 6);
        Assert.NotEqual(first.TraceHash, other.TraceHash);
    }

    [Fact]
    public void TheScenarioIsBuiltInAndDescribesTheThreeSets()
    {
        Scenario? builtIn = ScenarioCatalog.TryCreate("write-tracking");
        var scenario = Assert.IsType<WriteTrackingScenario>(builtIn);
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions());
        Assert.Null(report.Violation);
        Assert.Equal(4, report.Description.Count(l => l.Contains("{10003000, 10005000, 10007000, 10009000}", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheScenarioFileIsTheBuiltInWorkload()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "config", "scenarios", "write-tracking.json");
        var fromFile = new ShadowPtScenario(ScenarioFile.Load(file));
        RunReport report = ScenarioRunner.Run(() => fromFile, new RunOptions { Seed = 4 });
        Assert.Null(report.Violation);
        (RunReport builtIn, _) = Run(WriteTrackingScenario.Create, 4);
        Assert.Equal(builtIn.TraceHash, report.TraceHash); // same programs, same machine: the same run
        Assert.Equal(WriteTrackingScenario.DefaultWorkload().WrittenPages(), fromFile.Machine!.UserLogs.Pages("wt-uffd-wp"));
    }

    private static (RunReport Report, WriteTrackingScenario Scenario) Run(Func<WriteTrackingScenario> create, ulong seed)
    {
        WriteTrackingScenario scenario = create();
        RunReport report = ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, StepsMax = 200_000 });
        return (report, scenario);
    }

    /// <summary>A workload from <paramref name="seed"/> (splitmix64: test data, not the model's randomness).</summary>
    private static WriteTrackWorkload Generate(ulong seed)
    {
        ulong state = seed;
        int Next(int bound)
        {
            state += 0x9E3779B97F4A7C15;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return (int)((z ^ (z >> 31)) % (ulong)bound);
        }

        WorkloadMapping[] mappings = [.. Enumerable.Range(0, 1 + Next(3)).Select(i => new WorkloadMapping(((char)('a' + i)).ToString(), 1 + Next(5)))];
        WorkloadAccess Access(bool mostlyWrites)
        {
            WorkloadMapping m = mappings[Next(mappings.Length)];
            return new WorkloadAccess(m.Label, Next(m.Pages), mostlyWrites ? Next(4) != 0 : Next(2) == 0, (byte)(0x30 + Next(64)), Next(3) == 0 ? 1 : 0);
        }

        WorkloadAccess[] accesses = [.. Enumerable.Range(0, 4 + Next(9)).Select(_ => Access(false))];
        WorkloadAccess[] noise = [.. Enumerable.Range(0, 1 + Next(4)).Select(_ => Access(true))];
        return new WriteTrackWorkload($"generated-{seed}", mappings, accesses, noise);
    }
}

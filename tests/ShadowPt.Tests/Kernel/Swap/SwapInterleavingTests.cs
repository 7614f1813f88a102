using ShadowPt.Kernel;
using ShadowPt.Kernel.Programs;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using Xunit.Abstractions;

namespace ShadowPt.Tests.Kernel.Swap;

/// <summary>
/// Soft-dirty and page-out under many interleavings: clear_refs racing with writes on the other CPU
/// (no write after the clear returned may be missed), page-out racing with faults on the same page
/// (contents kept, no leak, the shadow table consistent), and the same trace for the same seed.
/// </summary>
public sealed class SwapInterleavingTests(ITestOutputHelper output)
{
    private const int Seeds = 16;

    private static readonly string[] Strategies = ["random", "pct"];

    private static RunReport Run(ShadowPtScenario scenario, ulong seed, string strategy) =>
        ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, Strategy = strategy, StepsMax = 200_000 });

    /// <summary>
    /// The property, checked at every quiescent point by the soft-dirty monitor: a page whose contents
    /// differ from what they were when the last clear_refs returned was written after it returned, and
    /// must be soft-dirty in pagemap; a write that landed before the clear returned may have been
    /// cleared, but then its value is in the record and any later write is again caught. The tracker's
    /// second clear and the target's last write to page 0 fall on the same tick, so the schedules put
    /// them both ways round: page 0 ends soft-dirty in some runs and clean in others, and every
    /// write's value is where it should be.
    /// </summary>
    [Fact]
    public void ClearRefsRacingWithWritesOnTheOtherCpuNeverMissesAWriteAcrossSeedsAndStrategies()
    {
        int dirtyAtEnd = 0;
        foreach (string strategy in Strategies)
        {
            for (ulong seed = 1; seed <= Seeds; seed++)
            {
                ShadowPtScenario scenario = SwapScenarios.SoftDirty();
                RunReport report = Run(scenario, seed, strategy);
                Assert.True(report.Violation is null, $"{strategy} seed {seed}: {report.Violation?.Message}");
                KernelState s = scenario.Machine!.State;
                Assert.Equal(0x47, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
                Assert.Equal(0x45, SwapWorld.FirstByte(s, SwapWorld.Data, 1));
                Assert.Equal(0x43, SwapWorld.FirstByte(s, SwapWorld.Data, 2));
                Assert.Equal(0x46, SwapWorld.FirstByte(s, SwapWorld.Data, 3));
                Assert.Null(global::ShadowPt.Checking.SoftDirtyMonitor.Check(s));
                Assert.Equal(2, ClearRefsLog.Of(s).Records.Count);
                dirtyAtEnd += SwapWorld.Entry(s, SwapWorld.Data, 0).SoftDirty ? 1 : 0;
            }
        }

        output.WriteLine($"runs with page 0 soft-dirty at the end: {dirtyAtEnd} of {Seeds * Strategies.Length}");
        Assert.InRange(dirtyAtEnd, 1, (Seeds * Strategies.Length) - 1);
    }

    [Fact]
    public void WithoutTheTlbFlushAfterClearRefsAStaleWritableTranslationLetsAWriteThroughAndTheMonitorReportsIt()
    {
        ProcessProgram target = new ProgramBuilder("target", "writes page 0 again and again")
            .Mmap("data", 1).Write("data", 0, 1).Think(1).Write("data", 0, 2).Think(1).Write("data", 0, 3).Think(1).Write("data", 0, 4).Build();
        ProcessProgram tracker = new ProgramBuilder("tracker", "clears once").Step(new ClearRefsStep("target") { ThinkTicks = 1 }).Build();
        string[] checks = ["monitors", "resources", "shadow-consistency"]; // the TLB coherence check would catch the stale entry first
        Violation? found = null;
        for (ulong seed = 1; seed <= 64 && found is null; seed++)
        {
            found = SwapWorld.Run(target, SwapWorld.Machine(variants: SoftDirty.ClearRefsNoFlushVariant), seed, tracker, checks: checks).Report.Violation;
        }

        Violation v = Assert.IsType<Violation>(found);
        output.WriteLine(v.Message);
        Assert.Equal("safety", v.Kind);
        Assert.Contains("was written after clear_refs returned", v.Message, StringComparison.Ordinal);

        for (ulong seed = 1; seed <= 16; seed++)
        {
            Assert.Null(SwapWorld.Run(target, SwapWorld.Machine(), seed, tracker).Report.Violation);
        }
    }

    [Fact]
    public void PageoutRacingWithFaultsOnTheSamePageKeepsContentsLeaksNothingAndKeepsTheShadowConsistent()
    {
        int swappedAtEnd = 0;
        var outcomes = new SortedSet<(long Out, long In)>();
        foreach (string strategy in Strategies)
        {
            for (ulong seed = 1; seed <= Seeds; seed++)
            {
                ShadowPtScenario scenario = SwapScenarios.Pageout();
                RunReport report = Run(scenario, seed, strategy);
                Assert.True(report.Violation is null, $"{strategy} seed {seed}: {report.Violation?.Message}");
                KernelState s = scenario.Machine!.State;
                Assert.Equal(0x51, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
                Assert.Equal(0x52, SwapWorld.FirstByte(s, SwapWorld.Data, 1));
                Assert.Equal(0x54, SwapWorld.FirstByte(s, SwapWorld.Data, 2));
                Assert.True(SwapWorld.Entry(s, SwapWorld.Locked, 0).Present);
                Assert.True(SwapWorld.Entry(s, SwapWorld.Locked, 1).Present);
                s.Extension<SwapInfo>().AssertInvariants();
                swappedAtEnd += SwapInfo.Of(s).InusePages;
                outcomes.Add((SwapInfo.Of(s).PagesSwappedOut, SwapInfo.Of(s).PagesSwappedIn));
            }
        }

        output.WriteLine($"slots in use at the ends of the runs: {swappedAtEnd}; (pages out, pages in) seen: {string.Join(" ", outcomes)}");
        Assert.True(outcomes.Count > 1, "every schedule paged out and in the same number of pages: the reclaimer never raced with the target");
        Assert.True(swappedAtEnd > 0, "the reclaimer never won a race against the target's faults");
    }

    [Fact]
    public void PageoutOfOnePageRacingWithReadsAndWritesOfItKeepsTheLastValueInEverySchedule()
    {
        ProgramBuilder builder = new ProgramBuilder("target", "touches page 0 over and over").Mmap("data", 1);
        for (byte value = 1; value <= 6; value++)
        {
            builder.Write("data", 0, value).Read("data", 0);
        }

        ProcessProgram target = builder.Build();
        ProgramBuilder reclaim = new("reclaimer", "pages page 0 out over and over");
        for (int i = 0; i < 6; i++)
        {
            reclaim.Step(new ProcessMadvisePageoutStep("target", SwapWorld.Data.Value, 1));
        }

        var pagedOut = new SortedSet<long>();
        foreach (string strategy in Strategies)
        {
            for (ulong seed = 1; seed <= Seeds / 2; seed++)
            {
                (RunReport report, KernelState s) = SwapWorld.Run(target, SwapWorld.Machine(), seed, reclaim.Build(), strategy);
                Assert.True(report.Violation is null, $"{strategy} seed {seed}: {report.Violation?.Message}");
                Assert.Equal(6, SwapWorld.FirstByte(s, SwapWorld.Data, 0));
                Assert.InRange(SwapInfo.Of(s).InusePages, 0, 1);
                pagedOut.Add(SwapInfo.Of(s).PagesSwappedOut);
            }
        }

        output.WriteLine($"pages written to swap per run: {string.Join(", ", pagedOut)}");
        Assert.True(pagedOut.Count > 2, "the schedules did not interleave page-out with the faults in different ways");
    }

    [Theory]
    [InlineData("soft-dirty")]
    [InlineData("pageout")]
    public void TheSameSeedGivesTheSameTraceAndAnotherSeedAnotherOne(string name)
    {
        RunReport first = Run((ShadowPtScenario)ScenarioCatalog.TryCreate(name)!, 5, "random");
        RunReport again = Run((ShadowPtScenario)ScenarioCatalog.TryCreate(name)!, 5, "random");
        RunReport other = Run((ShadowPtScenario)ScenarioCatalog.TryCreate(name)!, 6, "random");
        Assert.Null(first.Violation);
        Assert.Equal(first.TraceHash, again.TraceHash);
        Assert.Equal(first.Steps, again.Steps);
        Assert.NotEqual(first.TraceHash, other.TraceHash);
        RunReport replayed = ScenarioRunner.Replay((ShadowPtScenario)ScenarioCatalog.TryCreate(name)!, first.Schedule, null);
        Assert.Equal(first.TraceHash, replayed.TraceHash);
    }
}

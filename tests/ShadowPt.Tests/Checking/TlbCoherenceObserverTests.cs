using ShadowPt.Checking;
using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using static ShadowPt.Tests.Checking.TlbCoherenceWorld;

namespace ShadowPt.Tests.Checking;

/// <summary>The TLB-coherence checker on the shadow page table scenarios: the correct model, and the zoo's freeing bugs.</summary>
public sealed class TlbCoherenceObserverTests
{
    private const int SeedCount = 150;

    [Fact]
    public void TheCheckIsOnByDefault()
    {
        Assert.Contains(TlbCoherenceObserver.CheckName, ScenarioDefinition.CheckNames);
        ShadowPtScenario scenario = Scenario();
        using ActorSystem system = ActorSystem.CreateDeterministic("tlb", new RandomStrategy(1));
        scenario.Setup(system);
        Assert.Single(scenario.Machine!.Events.Observers.OfType<TlbCoherenceObserver>());
    }

    [Fact]
    public void TheCorrectModelNeverReportsAndTheMirrorMatchesEveryTlbAtEveryQuiescentPoint()
    {
        long quiescentPoints = 0;
        long translations = 0;
        foreach (Func<ShadowPtScenario> scenario in (Func<ShadowPtScenario>[])[() => Scenario(), () => ShadowPtScenario.Default("default")])
        {
            for (ulong seed = 1; seed <= SeedCount; seed++)
            {
                ShadowPtScenario s = scenario();
                using ActorSystem system = ActorSystem.CreateDeterministic("tlb", new RandomStrategy(seed));
                s.Setup(system);
                TlbCoherenceObserver observer = s.Machine!.Events.Observers.OfType<TlbCoherenceObserver>().Single();
                system.AddQuiescentObserver(() =>
                {
                    AssertMirrorExact(s.Machine, observer);
                    quiescentPoints++;
                    translations += observer.Mirror.TranslationCount;
                });
                system.Run();
                Assert.True(system.Violation is null, $"seed {seed}: {system.Violation?.Kind}: {system.Violation?.Message}");
                Assert.Null(observer.Report);
            }
        }

        // Not vacuous: the mirror held translations at the points it was compared.
        Assert.True(quiescentPoints > SeedCount && translations > quiescentPoints, $"{quiescentPoints} quiescent points, {translations} translations");
    }

    [Theory]
    [InlineData("fork-and-exec.json")]
    [InlineData("inspector-exits.json")]
    public void TheScenarioFilesPassTheCheck(string file)
    {
        ScenarioDefinition definition = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "config", "scenarios", file));
        Assert.Contains(TlbCoherenceObserver.CheckName, definition.Checks);
        for (ulong seed = 1; seed <= 40; seed++)
        {
            RunReport report = ScenarioRunner.Run(() => new ShadowPtScenario(definition), new RunOptions { Seed = seed });
            Assert.True(report.Violation is null, $"seed {seed}: {report.Violation?.Kind}: {report.Violation?.Message}");
        }
    }

    [Fact]
    public void CloseFreeingTheTableBeforeZappingIsReportedAtTheFreeWithThePteAndTheTlbEntry()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Violation v = Assert.IsType<Violation>(Run(() => Scenario(Variants.CloseFreesBeforeZap), seed).Violation);
            Assert.Equal(TlbCoherenceObserver.FreeWhileMappedKind, v.Kind);
            Assert.Null(v.Exception); // the checker's report, not the allocator's
        }

        Violation first = Run(() => Scenario(Variants.CloseFreesBeforeZap), 1).Violation!;
        AssertReport(
            first.Message,
            "==================================================================",
            "BUG: pfn 0xc freed while a PTE still maps it",
            "freed by: 'cpu1 pid 2 shadowpt free_pages_exact' at step {n}",
            "mapped by: mm2 0x7ffff7ffd000: pte 0x800000000000c225 pfn 0xc P U A SPECIAL, written by 'cpu1 pid 2 shadowpt_open remap_pfn_range' at step {n}",
            "translated by: cpu1 mm2 0x7ffff7ffd000 -> pfn 0xc, filled at step {n} by pid 2; live; its PTE still maps it",
            "frame: pfn 0xc: Free, refcount 0, mapcount 0, generation 1; last allocated by 'cpu1 pid 2 shadowpt_open' at step {n}; last freed by 'cpu1 pid 2 shadowpt free_pages_exact' at step {n}",
            "==================================================================");
    }

    [Fact]
    public void WithoutTheCheckClosingBeforeZappingGoesUnnoticed()
    {
        // The allocator cannot see special PTEs (they take no map count): only this checker catches the bug.
        var definition = Scenario(Variants.CloseFreesBeforeZap).Definition with { Checks = new HashSet<string>(["shadow-consistency", "resources", "lockdep"], StringComparer.Ordinal) };
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Assert.Null(ScenarioRunner.Run(() => new ShadowPtScenario(definition), new RunOptions { Seed = seed }).Violation);
        }
    }

    [Fact]
    public void FreeingBeforeTheShootdownIsReportedAtTheFreeOnEverySeed()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Violation v = Assert.IsType<Violation>(Run(() => Scenario(ShadowPt.Kernel.Syscalls.FreeBeforeShootdownVariant), seed).Violation);
            Assert.Equal(TlbCoherenceObserver.FreeBeforeFlushKind, v.Kind);
            Assert.Contains("may still translate to it (no completed TLB shootdown)", v.Message, StringComparison.Ordinal);
            Assert.Contains(" tlb_finish_mmu' at step ", v.Message, StringComparison.Ordinal);
            Assert.Contains("; live; PTE changed by ", v.Message, StringComparison.Ordinal);
            Assert.Contains("; no shootdown covering it has completed since", v.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AReportReplaysToTheSameStepAndText()
    {
        RunReport first = Run(() => Scenario(Variants.CloseFreesBeforeZap), 3);
        RunReport replayed = ScenarioRunner.Replay(Scenario(Variants.CloseFreesBeforeZap), first.Schedule, null);
        Assert.Equal(first.Violation, replayed.Violation);
        Assert.Equal(first.TraceHash, replayed.TraceHash);
    }
}

using ShadowPt.Kernel;
using ShadowPt.Runtime;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using ShadowPt.Tests.Spt;
using Xunit.Abstractions;

namespace ShadowPt.Tests.Checking;

/// <summary>
/// The deadlock and resource checkers on whole scenarios: a real deadlock of the model (a bug
/// variant), and the correct model over many seeds and both strategies, which they never report and
/// whose runs they do not change.
/// </summary>
public sealed class CheckedScenarioTests(ITestOutputHelper output)
{
    private const int SeedCount = 40;

    private static readonly string[] Strategies = ["random", "pct"];

    /// <summary>The busy scenario with <paramref name="checks"/> only.</summary>
    private static ShadowPtScenario Busy(string[] checks, params string[] variants) =>
        new(SptScenarios.Busy(4, variants).Definition with { Checks = new HashSet<string>(checks, StringComparer.Ordinal) });

    private static RunReport Run(Scenario scenario, ulong seed, string strategy) =>
        ScenarioRunner.Run(() => scenario, new RunOptions { Seed = seed, Strategy = strategy, StepsMax = 200_000 });

    [Fact]
    public void TheShadowLockTakenBeforeMmapLockDeadlocksWithAWriterAndTheReportShowsTheCycle()
    {
        // Lockdep would flag the order at once; without it, this PCT schedule runs into the deadlock.
        string[] checks = ["shadow-consistency", "resources", "deadlock"];
        RunReport report = Run(Busy(checks, Variants.AbbaMmapShadow), 2, "pct");
        Violation v = Assert.IsType<Violation>(report.Violation);
        output.WriteLine(v.Message);
        Assert.Equal("deadlock", v.Kind);
        Assert.Equal(
            """
            ======================================================
            WARNING: deadlock: a wait-for cycle of 2 tasks
            ------------------------------------------------------
            pid 1 (target) on cpu0 has been blocked since step 350, waiting for lock:
             (shadowpt_lock){shadowpt lock}, at: Update
            which is held by pid 2 (inspector) on cpu1:
             (shadowpt_lock){shadowpt lock}, at: Track

            pid 2 (inspector) on cpu1 has been blocked since step 345, waiting for lock:
             (mm1->mmap_lock){mm->mmap_lock} read, at: Track
            which is held by pid 1 (target) on cpu0:
             (mm1->mmap_lock){mm->mmap_lock} write, at: SysFork

             Deadlock scenario:

                   CPU0                    CPU1
                   ----                    ----
              lock(mm1->mmap_lock);
                                           lock(shadowpt_lock);
              lock(shadowpt_lock);
                                           lock(mm1->mmap_lock);

             *** DEADLOCK ***

            locks held:
            3 locks held by pid 1 (target) on cpu0:
             #0: (mm1->mmap_lock){mm->mmap_lock} write, at: SysFork
             #1: (mm4->mmap_lock){mm->mmap_lock} write, at: SysFork
             #2: (mmu_notifier srcu){srcu (mmu_notifier)} read section, at: SrcuEnter
            1 lock held by pid 2 (inspector) on cpu1:
             #0: (shadowpt_lock){shadowpt lock}, at: Track

            """.ReplaceLineEndings("\n"),
            v.Message);

        RunReport replay = ScenarioRunner.Replay(Busy(checks, Variants.AbbaMmapShadow), report.Schedule, null);
        Assert.Equal(v, replay.Violation);
    }

    [Fact]
    public void TheCorrectModelNeverDeadlocksStarvesOrLeaksOnAnySeed()
    {
        string configDir = Path.Combine(AppContext.BaseDirectory, "config", "scenarios");
        Func<Scenario>[] scenarios =
        [
            () => SptScenarios.Busy(4),
            () => SptScenarios.KillingTarget(SptScenarios.Busy(4), 3),
            () => ShadowPtScenario.Default("default"),
            () => new ShadowPtScenario(ScenarioFile.Load(Path.Combine(configDir, "fork-and-exec.json"))),
            () => new ShadowPtScenario(ScenarioFile.Load(Path.Combine(configDir, "inspector-exits.json"))),
        ];
        int runs = 0;
        foreach (Func<Scenario> scenario in scenarios)
        {
            foreach (string strategy in Strategies)
            {
                for (ulong seed = 1; seed <= SeedCount; seed++)
                {
                    RunReport report = Run(scenario(), seed, strategy);
                    Assert.True(report.Violation is null, $"{report.Scenario} {strategy} seed {seed}: {report.Violation?.Kind}: {report.Violation?.Message}");
                    Assert.Equal(RunOutcome.Quiescent, report.Outcome);
                    runs++;
                }
            }
        }

        Assert.Equal(scenarios.Length * Strategies.Length * SeedCount, runs);
    }

    [Fact]
    public void TheCheckersChangeNoRunOfTheCorrectModel()
    {
        foreach (string strategy in Strategies)
        {
            for (ulong seed = 1; seed <= 10; seed++)
            {
                RunReport all = Run(Busy([.. ScenarioDefinition.CheckNames]), seed, strategy);
                RunReport none = Run(Busy([]), seed, strategy);
                Assert.Null(all.Violation);
                Assert.Equal((none.Steps, none.Ticks, none.TraceHash), (all.Steps, all.Ticks, all.TraceHash));
            }
        }
    }
}

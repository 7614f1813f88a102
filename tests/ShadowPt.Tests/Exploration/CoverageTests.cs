using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Tests.Exploration;

public sealed class CoverageTests
{
    [Fact]
    public void CoverageDoesNotDependOnTheNumberOfWorkers()
    {
        var options = new ExploreOptions { Strategy = "random", Schedules = 200, Seed = 11 };
        ExploreResult one = Explorer.Run(() => new RareOrderScenario(), options with { Workers = 1 });
        ExploreResult two = Explorer.Run(() => new RareOrderScenario(), options with { Workers = 2 });
        Assert.Equal(one.Coverage!.Describe(), two.Coverage!.Describe());
        Assert.True(one.Coverage.States > 10, one.Coverage.Describe());
        Assert.True(one.Coverage.Orderings > 10, one.Coverage.Describe());
    }

    [Fact]
    public void NewInLastCountsTheMostRecentBatches()
    {
        var set = new CoverageSet();
        set.AddBatch(64, [1, 2, 3], [10]);
        set.AddBatch(64, [3, 4], [10, 11]);
        set.AddBatch(64, [4], [11]);
        Assert.Equal((4, 2), (set.States, set.Orderings));
        Assert.Equal((0L, 64L), set.NewInLast(64));
        Assert.Equal((2L, 128L), set.NewInLast(100));
        Assert.Equal((6L, 192L), set.NewInLast(1000));
    }

    [Fact]
    public void TheDefaultScenarioReachesKernelStatesAndOrderings()
    {
        var coverage = new RunCoverage();
        RunReport report = ScenarioRunner.Run(() => ShadowPtScenario.Default("default"), new RunOptions { Seed = 2, Strategy = "random", AfterSetup = coverage.Attach });
        coverage.Finish(report);
        Assert.True(coverage.States.Count >= 2, "a state per tick, at least at the start and the end");
        Assert.NotEmpty(coverage.Orderings);

        // The same run reaches the same coverage.
        var again = new RunCoverage();
        again.Finish(ScenarioRunner.Run(() => ShadowPtScenario.Default("default"), new RunOptions { Seed = 2, Strategy = "random", AfterSetup = again.Attach }));
        Assert.Equal(coverage.States, again.States);
        Assert.Equal(coverage.Orderings, again.Orderings);
    }
}

using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Exploration;

public sealed class ExplorerTests
{
    private static Func<Scenario> Named(string name) => () => ScenarioCatalog.TryCreate(name)!;

    [Fact]
    public void TheFirstViolationDoesNotDependOnTheNumberOfWorkers()
    {
        ExploreResult one = Explorer.Run(Named("lost-update"), new ExploreOptions { Schedules = 200, Seed = 9, Workers = 1 });
        ExploreResult two = Explorer.Run(Named("lost-update"), new ExploreOptions { Schedules = 200, Seed = 9, Workers = 2 });
        Assert.NotNull(one.FirstViolation);
        Assert.Equal(one.FirstViolationIndex, two.FirstViolationIndex);
        Assert.Equal(one.FirstViolation!.TraceHash, two.FirstViolation!.TraceHash);
        Assert.Equal("assertion", one.FirstViolation.Violation!.Kind);
    }

    [Fact]
    public void TheCorrectDefaultScenarioPassesAndSchedulesDiffer()
    {
        ExploreResult result = Explorer.Run(Named("default"), new ExploreOptions { Schedules = 64, Seed = 3, Workers = 2 });
        Assert.Null(result.FirstViolation);
        Assert.Equal(64, result.Explored);
        Assert.True(result.DistinctTraces.Count > 48, $"only {result.DistinctTraces.Count} distinct traces in 64 schedules");
    }

    [Fact]
    public void ThePortfolioRotatesRandomAndPctDepths()
    {
        var options = new ExploreOptions { Seed = 1 };
        Assert.Equal(["random", "pct", "pct", "pct", "delay-bounding", "random"], Enumerable.Range(0, 6).Select(i => Explorer.OptionsFor(options, i, 100).Strategy!).ToArray());
        Assert.Equal([2, 3, 5], Enumerable.Range(1, 3).Select(i => Explorer.OptionsFor(options, i, 100).PctDepth).ToArray());
        Assert.NotEqual(Explorer.OptionsFor(options, 0, 100).Seed, Explorer.OptionsFor(options, 1, 100).Seed);
    }

    [Fact]
    public void ExploreSavesTheViolationAndItsReplayReproducesIt()
    {
        using var dir = new TempDir();
        string file = dir.File("v.schedule");
        var (exit, output, _) = CliRunner.Run("explore", "lost-update", "--schedules", "100", "--workers", "1", "--schedule-out", file);
        Assert.Equal(1, exit);
        Assert.Equal("result: violation: assertion", CliRunner.Lines(output)[^1]);
        var replay = CliRunner.Run("replay", file);
        Assert.Equal(1, replay.Exit);
        Assert.Equal(CliRunner.Field(output, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
    }

    [Fact]
    public void BadExploreOptionsAreExitTwo()
    {
        Assert.Equal(2, CliRunner.Run("explore", "--schedules", "0").Exit);
        Assert.Equal(2, CliRunner.Run("explore", "--strategy", "bfs").Exit);
        Assert.Equal(2, CliRunner.Run("explore", "fan-in", "--strategy", "dfs", "--preemption-bound", "-1").Exit);
        Assert.Equal(2, CliRunner.Run("explore", "--workers", "0").Exit);
    }
}

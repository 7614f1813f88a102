using ShadowPt.Benchmarking;
using ShadowPt.Scenarios;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Benchmarking;

/// <summary><c>shadowpt bench explore</c>: the three phases run the schedules asked for and report consistent figures.</summary>
public sealed class ExploreBenchmarkTests
{
    [Fact]
    public void ThePhasesRunWhatWasAskedAndTheirRatesAgree()
    {
        var options = new ExploreBenchOptions { Strategy = "random", ColdSchedules = 6, Schedules = 8, Workers = 2 };

        IReadOnlyList<ExplorePhase> phases = ExploreBenchmarks.Run(() => ScenarioCatalog.TryCreate("counter")!, options);

        Assert.Equal(["cold-1-worker", "warm-1-worker", "warm-2-workers"], phases.Select(p => p.Name));
        Assert.Equal([6L, 8L, 16L], phases.Select(p => p.Schedules));
        Assert.Equal([1, 1, 2], phases.Select(p => p.Workers));
        Assert.All(phases, p => Assert.Null(p.Violation));
        Assert.All(phases, p => Assert.True(p.AllocatedBytes > 0 && p.WallSeconds > 0 && p.CpuSeconds > 0, p.ToString()));
        ExplorePhase all = phases[2];
        Assert.Equal(all.Schedules / all.WallSeconds / 2, all.PerCore, precision: 6);

        string[] names = [.. ExploreBenchmarks.Figures(phases).Select(f => f.Name)];
        Assert.Contains("explore-warm-1-worker", names);
        Assert.Contains("explore-warm-2-workers-per-core", names);
        Assert.DoesNotContain("explore-warm-1-worker-per-core", names); // one worker: the rate is already per core
    }

    [Fact]
    public void AViolationEndsAPhaseEarlyAndIsNamed()
    {
        var options = new ExploreBenchOptions { Strategy = "random", ColdSchedules = 50, Schedules = 50, Workers = 1 };

        IReadOnlyList<ExplorePhase> phases = ExploreBenchmarks.Run(() => ScenarioCatalog.TryCreate("lost-update")!, options);

        Assert.All(phases, p => Assert.Equal("assertion", p.Violation));
        Assert.All(phases, p => Assert.True(p.Schedules < 50, $"{p.Name} stopped at the violation, not after {p.Schedules}"));
    }

    [Fact]
    public void TheCommandPrintsOneFigurePerLine()
    {
        (int exit, string output, string error) = CliRunner.Run("bench", "explore", "counter", "--strategy", "random", "--cold-schedules", "3", "--schedules", "4", "--workers", "1");

        Assert.Equal(0, exit);
        string[] lines = CliRunner.Lines(output);
        Assert.Equal(6, lines.Length); // two phases of one worker (no all-cores phase), three figures each
        Assert.All(lines, l => Assert.Matches(@"^explore-[a-z0-9-]+: [0-9.]+ (schedules/s|schedules/CPU-s|KiB/schedule)$", l));
        Assert.Contains("bench explore: warm-1-worker: 4 schedules", error, StringComparison.Ordinal);
    }
}

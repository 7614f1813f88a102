using System.Text;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Stress;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Stress;

/// <summary>Alone, so that no other test's work queued on the thread pool delays the threaded runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadedStressCollection
{
    public const string Name = "threaded stress";
}

[Collection(ThreadedStressCollection.Name)]
public sealed class StressTests
{
    private static string ZooFile(string variant) => Path.Combine(AppContext.BaseDirectory, "config", "scenarios", "zoo", variant + ".json");

    private static ScenarioDefinition World(byte[] template, string path, int cpus, int processes, int inspectors) =>
        StressWorld.Parse(StressWorld.Build(template, "template", cpus, processes, inspectors), path);

    [Fact]
    public void TheWorldReplicatesProcessesAndInspectorsOverTheCpus()
    {
        ScenarioDefinition world = World(Encoding.UTF8.GetBytes(StressWorld.DefaultTemplate), "w.json", 64, StressWorld.ProcessesMax, 3);
        Assert.Equal(64, world.Machine.Cpus);
        Assert.Equal(StressWorld.ProcessesMax, world.Processes.Count);
        Assert.Equal(3, world.Inspectors.Count);
        Assert.Equal(Enumerable.Range(0, 64).Select(c => c), world.Processes.Select(p => p.Cpu).Distinct().Order());
        Assert.Equal(["target", "target-1", "target-2"], world.Inspectors.Select(i => i.Target));
        Assert.Equal(StressWorld.FramesPerProcess * 1003, world.Machine.Frames);
        Assert.Equal("stress-default-64c1000p3i", world.Name);
    }

    [Fact]
    public void ADeterministicStressRunFindsDirtyCowAndItsScheduleReplays()
    {
        ScenarioDefinition world = World(File.ReadAllBytes(ZooFile("dirty-cow")), "dirty.json", 4, 4, 0);
        StressResult result = StressRunner.Run(world, new StressOptions { Seed = 3, RunsMax = 60, TimeMax = TimeSpan.FromMinutes(5) });
        Assert.NotNull(result.Report);
        Assert.Equal("page-cache-corrupted", result.Violation!.Kind);
        Assert.InRange(result.Runs, 1, 60);
        Assert.True(result.Steps >= result.Report!.Steps);
        RunReport replay = ScenarioRunner.Replay(new ShadowPtScenario(world), result.Report.Schedule, null);
        Assert.Equal(result.Report.TraceHash, replay.TraceHash);
        Assert.Equal("page-cache-corrupted", replay.Violation?.Kind);
    }

    [Fact]
    public void TheStressCommandSavesTheWorldAndTheScheduleThatReplayRuns()
    {
        using var dir = new TempDir();
        var (exit, output, _) = CliRunner.Run("stress", ZooFile("stop-keeps-notifier"), "--cpus", "4", "--processes", "3", "--inspectors", "1", "--runs-max", "20", "--time", "300", "--out", dir.File("out"));
        Assert.Equal(1, exit);
        Assert.Equal("result: violation: use-after-free", CliRunner.Lines(output)[^1]);
        Assert.True(File.Exists(dir.File(Path.Combine("out", "stress-zoo-stop-keeps-notifier-4c3p1i.json"))));
        string schedule = CliRunner.Field(output, "schedule");
        var replay = CliRunner.Run("replay", schedule);
        Assert.Equal(1, replay.Exit);
        Assert.Equal(CliRunner.Field(output, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
    }

    [Fact]
    public void AThreadedStressRunOfTheCorrectModelEndsCleanWithTheCheckersOn()
    {
        ScenarioDefinition world = World(Encoding.UTF8.GetBytes(StressWorld.DefaultTemplate), "threaded.json", 4, 8, 2);
        StressResult result = StressRunner.Run(world, new StressOptions { Scheduler = "threaded", RunsMax = 2, TimeMax = TimeSpan.FromMinutes(5) });
        Assert.True(result.Violation is null, $"{result.Violation?.Kind}: {result.Violation?.Message}");
        Assert.Equal(2, result.Runs);
        Assert.False(result.Cancelled);
        Assert.Equal(["file-integrity", "lockdep", "races", "resources", "tlb-coherence"], result.Checks);
        Assert.True(result.Steps > 2 * 8 * 50, $"only {result.Steps} steps"); // eight targets ran their programs twice
    }

    [Fact]
    public void BadStressOptionsAreExitTwo()
    {
        using var dir = new TempDir();
        Assert.Equal(2, CliRunner.Run("stress", "--cpus", "65").Exit);
        Assert.Equal(2, CliRunner.Run("stress", "--processes", "0").Exit);
        Assert.Equal(2, CliRunner.Run("stress", "--processes", "1001").Exit);
        Assert.Equal(2, CliRunner.Run("stress", "--scheduler", "fast").Exit);
        Assert.Equal(2, CliRunner.Run("stress", "no-such-file.json").Exit);
        Assert.Equal(2, CliRunner.Run("stress", ZooFile("dirty-cow"), "--inspectors", "1", "--out", dir.File("o")).Exit);
    }
}

public sealed class ZooBenchCommandTests
{
    [Fact]
    public void BenchZooPrintsARowPerVariantWithEveryCampaignFindingTheExpectedKind()
    {
        var (exit, output, _) = CliRunner.Run("bench", "zoo", "--seeds", "2", "--variant", "close-frees-before-zap", "--strategy", "random", "--strategy", "pct", "--no-threaded");
        Assert.Equal(0, exit);
        string[] lines = CliRunner.Lines(output);
        Assert.StartsWith("| variant | expected kind found | random: found, median schedules, median s | pct: found, median schedules, median s |", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("| close-frees-before-zap | free-while-mapped | 2/2, ", lines[2], StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run("bench", "zoo", "--variant", "no-such-bug").Exit);
    }
}

using ShadowPt.Checking;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn.Teaching;

namespace ShadowPt.Tests.Scenarios;

/// <summary>The built-in teaching scenarios under the strategy alone: what each shows, on which seeds, and that each replays.</summary>
public sealed class TeachingScenarioTests
{
    private const int Seeds = 12;

    private static RunReport[] RunSeeds(string name) =>
        Enumerable.Range(1, Seeds).Select(seed => ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(name)!, new RunOptions { Seed = (ulong)seed })).ToArray();

    [Fact]
    public void AbbaDeadlocksOnSomeInterleavingsAndLockdepWarnsOnEvery()
    {
        RunReport[] runs = RunSeeds("abba");
        Assert.Contains(runs, r => r.Violation?.Kind == "deadlock");
        Assert.Contains(runs, r => r.Violation is null);
        Assert.All(runs, r => Assert.True(r.Violation is null || r.Violation.Kind == "deadlock", r.Violation?.Kind));
        Assert.All(runs, r => Assert.StartsWith("lockdep (", r.Description[0], StringComparison.Ordinal)); // the inverted order, with or without the deadlock
        Assert.Contains(runs, r => r.Description[0].Contains("WARNING: lock order violates the documented order (mm/rmap.c)", StringComparison.Ordinal));
    }

    [Fact]
    public void TheShootdownThatWaitsIsCorrectAndTheOneThatDoesNotIsReported()
    {
        Assert.All(RunSeeds("shootdown"), r => Assert.True(r.Violation is null, r.Violation?.Message));
        Assert.All(RunSeeds("shootdown-nowait"), r => Assert.Equal(TlbCoherenceObserver.FreeBeforeFlushKind, r.Violation?.Kind));
    }

    [Fact]
    public void TheInspectorExitsMidUpdateAndNothingLeaks()
    {
        RunReport[] runs = RunSeeds(InspectorExitScenario.Name);
        Assert.All(runs, r => Assert.True(r.Violation is null, r.Violation?.Message));
        Assert.All(runs, r => Assert.Contains("inspector exits after 9 operations", r.Description));
        Assert.All(runs, r => Assert.Contains("shadowpt_start() = 0", r.Description)); // it exits with a started table
    }

    [Theory]
    [InlineData("abba")]
    [InlineData("shootdown")]
    [InlineData("shootdown-nowait")]
    [InlineData("inspector-exit")]
    public void EveryTeachingScenarioReplaysExactly(string name)
    {
        RunReport run = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(name)!, new RunOptions { Seed = 2 });
        using var text = new StringWriter();
        ScheduleFile.Write(run.Schedule, text);
        Schedule schedule = ScheduleFile.Read(new StringReader(text.ToString()), name);
        RunReport replay = ScenarioRunner.Replay(ScenarioCatalog.TryCreate(name)!, schedule, null);
        Assert.Equal((run.TraceHash, run.Violation?.Kind), (replay.TraceHash, replay.Violation?.Kind));
    }
}

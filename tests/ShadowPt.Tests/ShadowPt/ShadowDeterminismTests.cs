using ShadowPt.Runtime;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;

namespace ShadowPt.Tests.Spt;

/// <summary>
/// A shadow page table run is a pure function of (scenario, strategy, seed): the same seed gives the
/// same trace hash and the same inspector output, and a captured schedule replays to the same hash —
/// including a run that ends with a violation.
/// </summary>
public sealed class ShadowDeterminismTests
{
    private const int SeedCount = 10;

    [Fact]
    public void TheDefaultScenarioGivesTheSameTraceHashForTheSameSeed()
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= SeedCount; seed++)
        {
            RunReport first = RunDefault(seed);
            RunReport second = RunDefault(seed);

            Assert.Null(first.Violation);
            Assert.Equal(first.TraceHash, second.TraceHash);
            Assert.Equal(first.Steps, second.Steps);
            Assert.Equal(first.Description, second.Description);
            Assert.Equal(first.Schedule.Choices, second.Schedule.Choices);
            hashes.Add(first.TraceHash);
        }

        Assert.Equal(SeedCount, hashes.Count);
    }

    [Fact]
    public void TheDefaultRunOnItsOwnSeedIsStable()
    {
        Scenario scenario = ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!;
        RunReport run = ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, new RunOptions());
        Assert.Equal(scenario.DefaultSeed, run.Seed);
        Assert.Equal(RunDefault(scenario.DefaultSeed).TraceHash, run.TraceHash);
        Assert.Equal("random(seed=7)", run.Strategy);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(7UL)]
    [InlineData(42UL)]
    public void ACapturedScheduleOfTheDefaultScenarioReplaysToTheSameHash(ulong seed)
    {
        RunReport run = RunDefault(seed);
        Schedule saved = RoundTrip(run.Schedule);

        RunReport replay = ScenarioRunner.Replay(ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, saved, null);
        Assert.Equal(run.TraceHash, replay.TraceHash);
        Assert.Equal(run.Steps, replay.Steps);
        Assert.Equal(run.Description, replay.Description);
        Assert.Null(replay.Violation);
    }

    [Fact]
    public void ACapturedScheduleOfTheBusyScenarioOnFourCpusReplaysToTheSameHash()
    {
        for (ulong seed = 1; seed <= 3; seed++)
        {
            RunReport run = SptScenarios.Run(SptScenarios.Busy(), seed);
            RunReport replay = ScenarioRunner.Replay(SptScenarios.Busy(), RoundTrip(run.Schedule), null);
            Assert.Equal(run.TraceHash, replay.TraceHash);
            Assert.Equal(run.Description, replay.Description);
        }
    }

    [Fact]
    public void AViolationReplaysToTheSameViolationAndHash()
    {
        RunReport run = SptScenarios.Run(SptScenarios.Busy(variants: Variants.ShadowUpdateAtInvalidateStart), 3);
        Assert.Equal("shadow-inconsistent", run.Violation?.Kind);
        Assert.Equal("shadow-inconsistent", run.Schedule.Result);

        RunReport replay = ScenarioRunner.Replay(SptScenarios.Busy(variants: Variants.ShadowUpdateAtInvalidateStart), RoundTrip(run.Schedule), null);
        Assert.Equal(run.TraceHash, replay.TraceHash);
        Assert.Equal(run.Violation, replay.Violation);
    }

    [Fact]
    public void AScheduleReplayedOnAnotherModelDiverges()
    {
        // The replay checks every choice: the schedule of the correct model does not fit the variant's run.
        RunReport run = SptScenarios.Run(SptScenarios.Busy(), 3);
        Assert.Throws<ScheduleDivergedException>(() => ScenarioRunner.Replay(SptScenarios.Busy(variants: Variants.ShadowUpdateAtInvalidateStart), run.Schedule, null));
    }

    private static RunReport RunDefault(ulong seed) =>
        ScenarioRunner.Run(() => ScenarioCatalog.TryCreate(ScenarioCatalog.DefaultName)!, new RunOptions { Seed = seed });

    /// <summary>The schedule as its file holds it, read back.</summary>
    private static Schedule RoundTrip(Schedule schedule)
    {
        using var writer = new StringWriter();
        ScheduleFile.Write(schedule, writer);
        using var reader = new StringReader(writer.ToString());
        return ScheduleFile.Read(reader, "test");
    }
}

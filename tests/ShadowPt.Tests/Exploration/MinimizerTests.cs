using ShadowPt.Actors;
using ShadowPt.Exploration;
using ShadowPt.Kernel;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Spt;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Exploration;

/// <summary>Minimisation keeps the violation kind, never grows the schedule, is deterministic, and saves a schedule that replays.</summary>
public sealed class MinimizerTests
{
    private static ShadowPtScenario WithVariant(string variant) => new(
        "minimize",
        new MachineConfig { Cpus = 2, Frames = 1024, Variants = new HashSet<string>([variant], StringComparer.Ordinal) },
        ShadowPtScenario.DefaultTarget(),
        pid => new InspectorSpec { TargetPid = pid, StartVaddr = ShadowPtScenario.Tracked.Start.Value, EndVaddr = ShadowPtScenario.Tracked.End.Value, Ticks = 10 });

    private static RunReport FirstViolation(Func<Scenario> factory, ulong seed)
    {
        ExploreResult found = Explorer.Run(factory, new ExploreOptions { Strategy = "random", Schedules = 256, Seed = seed, Workers = 2 });
        Assert.NotNull(found.FirstViolation);
        return found.FirstViolation!;
    }

    [Fact]
    public void TheMinimizedRaceReplaysWithTheSameKindAndIsNoLarger()
    {
        Func<Scenario> factory = () => WithVariant(Variants.ShadowUpdateWithoutLock);
        RunReport original = FirstViolation(factory, 5);
        MinimizeResult min = Minimizer.Minimize(factory, original, 120);

        Assert.Equal(original.Steps, min.StepsBefore);
        Assert.Equal(original.Violation!.Kind, min.Report.Violation!.Kind);
        Assert.True(min.PreemptionsAfter <= min.PreemptionsBefore, $"{min.PreemptionsBefore} -> {min.PreemptionsAfter} preemptions");
        Assert.True(min.StepsAfter <= min.StepsBefore, $"{min.StepsBefore} -> {min.StepsAfter} steps");
        Assert.True(min.PreemptionsAfter < min.PreemptionsBefore || min.StepsAfter < min.StepsBefore, "a random schedule of the default scenario always has something to remove");
        Assert.True(min.CandidateRuns <= 121);

        // The saved file replays to the same violation and trace hash through the ordinary replay path.
        using var dir = new TempDir();
        string file = dir.File("min.schedule");
        ScheduleFile.Save(min.Report.Schedule, file);
        RunReport replayed = ScenarioRunner.Replay(factory(), ScheduleFile.Load(file), null);
        Assert.Equal(min.Report.TraceHash, replayed.TraceHash);
        Assert.Equal(min.Report.Violation.Kind, replayed.Violation!.Kind);
    }

    [Fact]
    public void MinimizationIsDeterministic()
    {
        Func<Scenario> factory = () => WithVariant(Variants.ShadowUpdateWithoutLock);
        RunReport original = FirstViolation(factory, 11);
        MinimizeResult a = Minimizer.Minimize(factory, original, 60);
        MinimizeResult b = Minimizer.Minimize(factory, original, 60);
        Assert.Equal(a.Report.TraceHash, b.Report.TraceHash);
        Assert.Equal((a.StepsAfter, a.PreemptionsAfter, a.CandidateRuns), (b.StepsAfter, b.PreemptionsAfter, b.CandidateRuns));
    }

    [Fact]
    public void TheGuideFollowingAWholeScheduleReproducesItAndCountsItsPreemptions()
    {
        Func<Scenario> factory = () => ShadowPtScenario.Default("default");
        RunReport run = ScenarioRunner.Run(factory, new RunOptions { Seed = 3, Strategy = "random" });
        var guide = new GuidedStrategy([.. run.Schedule.Choices.Select(c => (ScheduleChoice?)c)], "test");
        RunReport again = ScenarioRunner.RunWith(factory(), guide, run.Seed, run.Schedule.StepsMax, null);
        Assert.Equal(run.TraceHash, again.TraceHash);
        Assert.True(guide.Preemptions > 0);

        // With no plan at all the guide never preempts.
        var none = new GuidedStrategy([], "test");
        ScenarioRunner.RunWith(factory(), none, run.Seed, run.Schedule.StepsMax, null);
        Assert.Equal(0, none.Preemptions);
    }

    [Fact]
    public void ExploreMinimizesAndPrintsTheSizes()
    {
        using var dir = new TempDir();
        string file = dir.File("v.schedule");
        var (exit, output, _) = CliRunner.Run("explore", "lost-update", "--schedules", "100", "--workers", "1", "--schedule-out", file);
        Assert.Equal(1, exit);
        Assert.Matches(@"^\d+ -> \d+ steps, \d+ -> \d+ preemptions \(\d+ candidate runs\)$", CliRunner.Field(output, "minimized"));
        Assert.Equal($"shadowpt replay {file}", CliRunner.Field(output, "replay"));
        var replay = CliRunner.Run("replay", file);
        Assert.Equal(CliRunner.Field(output, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
    }
}

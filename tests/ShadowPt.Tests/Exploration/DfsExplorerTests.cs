using ShadowPt.Exploration;
using ShadowPt.Runtime.Recording;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Tests.Host;

namespace ShadowPt.Tests.Exploration;

/// <summary>Systematic exploration: DFS with and without dynamic partial-order reduction.</summary>
public sealed class DfsExplorerTests
{
    private static readonly DfsOptions Dpor = new() { ExecutionsMax = 200_000 };
    private static readonly DfsOptions Plain = new() { Reduction = false, ExecutionsMax = 200_000 };

    /// <summary>Small configurations: correct ones and one with a bug.</summary>
    public static TheoryData<string> Small => ["fan-in-3", "fan-in-4", "counter-2x1", "counter-2x2", "lost-update-2x1", "fan-in-ordered-3", "pingpong-2x2"];

    private static Func<Scenario> Make(string name) => name switch
    {
        "fan-in-3" => () => new FanInScenario(name, 3),
        "fan-in-4" => () => new FanInScenario(name, 4),
        "fan-in-ordered-3" => () => new FanInScenario(name, 3, expectOrder: true),
        "counter-2x1" => () => new CounterScenario(name, locked: true, workers: 2, rounds: 1),
        "counter-3x1" => () => new CounterScenario(name, locked: true, workers: 3, rounds: 1),
        "counter-2x2" => () => new CounterScenario(name, locked: true, workers: 2, rounds: 2),
        "lost-update-2x1" => () => new CounterScenario(name, locked: false, workers: 2, rounds: 1),
        "pingpong-2x2" => () => new PingPongScenario(pairs: 2, volleys: 2),
        _ => () => ScenarioCatalog.TryCreate(name)!,
    };

    [Fact]
    public void DfsFindsTheLostUpdate()
    {
        DfsResult result = DfsExplorer.Run(Make("lost-update"), Dpor);
        Assert.NotNull(result.FirstViolation);
        Assert.Equal("assertion", result.FirstViolation!.Violation!.Kind);
        Assert.False(result.Exhaustive);
        Assert.StartsWith("exhaustive: no (stopped at the first violation)", result.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void DporExhaustsACorrectScenarioWithTheSameCountEveryTime()
    {
        DfsResult first = DfsExplorer.Run(Make("counter-3x1"), Dpor);
        DfsResult second = DfsExplorer.Run(Make("counter-3x1"), Dpor);
        Assert.True(first.Exhaustive, first.Verdict);
        Assert.Null(first.FirstViolation);
        Assert.Equal(first.Executions, second.Executions);
        Assert.Equal(first.SleepBlocked, second.SleepBlocked);
        Assert.Equal($"exhaustive: yes, {first.Executions} executions", first.Verdict);
    }

    [Fact]
    public void FanInHasOneExecutionPerArrivalOrder()
    {
        // 3 senders: 3! = 6 arrival orders (Mazurkiewicz traces); plain DFS runs every linear extension, 6!/2^3 = 90.
        var dporStates = new HashSet<string>(StringComparer.Ordinal);
        var plainStates = new HashSet<string>(StringComparer.Ordinal);
        DfsResult dpor = DfsExplorer.Run(Make("fan-in-3"), Dpor, r => dporStates.Add(string.Join('\n', r.Description)));
        DfsResult plain = DfsExplorer.Run(Make("fan-in-3"), Plain, r => plainStates.Add(string.Join('\n', r.Description)));
        Assert.True(dpor.Exhaustive && plain.Exhaustive);
        Assert.Equal(90, plain.Executions);
        Assert.Equal(6, dporStates.Count);
        Assert.Equal(plainStates, dporStates);
        Assert.Equal(6, dpor.Executions);
    }

    [Theory]
    [MemberData(nameof(Small))]
    public void ReductionExploresFewerAndAgreesOnViolationsAndEndStates(string name)
    {
        var dporStates = new HashSet<string>(StringComparer.Ordinal);
        var plainStates = new HashSet<string>(StringComparer.Ordinal);
        DfsOptions dporAll = Dpor, plainAll = Plain;
        DfsResult dpor = DfsExplorer.Run(Make(name), dporAll, r => dporStates.Add(Outcome(r)));
        DfsResult plain = DfsExplorer.Run(Make(name), plainAll, r => plainStates.Add(Outcome(r)));
        Assert.Equal(plain.FirstViolation is null, dpor.FirstViolation is null);
        if (plain.FirstViolation is null)
        {
            Assert.True(plain.Exhaustive && dpor.Exhaustive, $"{plain.Verdict} / {dpor.Verdict}");
            Assert.True(dpor.Executions + dpor.SleepBlocked < plain.Executions, $"dpor {dpor.Executions}+{dpor.SleepBlocked} vs plain {plain.Executions}");
            Assert.Equal(plainStates, dporStates);
        }
        else
        {
            Assert.Equal(plain.FirstViolation.Violation!.Kind, dpor.FirstViolation!.Violation!.Kind);
        }
    }

    [Theory]
    [InlineData("lost-update-2x1")]
    [InlineData("fan-in-ordered-3")]
    public void EveryViolatingEndStateOfPlainDfsIsReachedWithReduction(string name)
    {
        // Explore without stopping: collect the end states of violating and clean executions alike.
        var dporStates = new HashSet<string>(StringComparer.Ordinal);
        var plainStates = new HashSet<string>(StringComparer.Ordinal);
        DfsResult dpor = DfsExplorer.Run(Continuing(name), Dpor, r => dporStates.Add(Outcome(r)));
        DfsResult plain = DfsExplorer.Run(Continuing(name), Plain, r => plainStates.Add(Outcome(r)));
        Assert.True(dpor.Exhaustive && plain.Exhaustive);
        Assert.Contains(plainStates, s => s.Contains("\nassertion\n", StringComparison.Ordinal));
        Assert.Equal(plainStates, dporStates);
        Assert.True(dpor.Executions < plain.Executions);
    }

    [Fact]
    public void PreemptionBoundZeroExploresFewerAndSaysItIsNotExhaustive()
    {
        DfsResult unbounded = DfsExplorer.Run(Make("fan-in-4"), Plain);
        DfsResult bounded = DfsExplorer.Run(Make("fan-in-4"), Plain with { PreemptionBound = 0 });
        Assert.True(unbounded.Exhaustive);
        Assert.True(bounded.Executions < unbounded.Executions, $"{bounded.Executions} vs {unbounded.Executions}");
        Assert.False(bounded.Exhaustive);
        Assert.True(bounded.Pruned > 0);
        Assert.Contains("preemption bound 0", bounded.Verdict, StringComparison.Ordinal);
        DfsResult boundedDpor = DfsExplorer.Run(Make("fan-in-4"), Dpor with { PreemptionBound = 0 });
        DfsResult unboundedDpor = DfsExplorer.Run(Make("fan-in-4"), Dpor);
        Assert.True(boundedDpor.Executions < unboundedDpor.Executions);
    }

    [Fact]
    public void TheViolatingScheduleReplaysToTheSameTrace()
    {
        DfsResult result = DfsExplorer.Run(Make("fan-in-ordered-3"), Dpor);
        RunReport found = result.FirstViolation!;
        Schedule reread = RoundTrip(found.Schedule);
        RunReport replayed = ScenarioRunner.Replay(Make("fan-in-ordered-3")(), reread, null);
        Assert.Equal(found.TraceHash, replayed.TraceHash);
        Assert.Equal("assertion", replayed.Violation!.Kind);
    }

    [Fact]
    public void TheExploreCommandSaysExhaustiveAndSavesAReplayableViolation()
    {
        var (exit, output, _) = CliRunner.Run("explore", "fan-in", "--strategy", "dfs");
        Assert.Equal(0, exit);
        Assert.Contains("exhaustive: yes, 6 executions", output, StringComparison.Ordinal);
        var plain = CliRunner.Run("explore", "fan-in", "--strategy", "dfs", "--no-reduction", "--preemption-bound", "0");
        Assert.Equal(0, plain.Exit);
        Assert.Contains("exhaustive: no (stopped at preemption bound 0", plain.Out, StringComparison.Ordinal);

        using var dir = new TempDir();
        string file = dir.File("dfs.schedule");
        var found = CliRunner.Run("explore", "lost-update", "--strategy", "dfs", "--schedule-out", file);
        Assert.Equal(1, found.Exit);
        Assert.Contains("exhaustive: no (stopped at the first violation)", found.Out, StringComparison.Ordinal);
        var replay = CliRunner.Run("replay", file);
        Assert.Equal(1, replay.Exit);
        Assert.Equal(CliRunner.Field(found.Out, "trace-hash"), CliRunner.Field(replay.Out, "trace-hash"));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(7UL)]
    [InlineData(12345UL)]
    public void DelayBoundingRunsReplayToTheSameTrace(ulong seed)
    {
        foreach (string name in seed == 1 ? new[] { "counter", "lost-update", "default" } : ["counter", "lost-update"])
        {
            RunReport run = ScenarioRunner.Run(Make(name), new RunOptions { Seed = seed, Strategy = "delay-bounding", Delays = 3 });
            Assert.StartsWith("delay-bounding(delays=3, steps-estimate=", run.Strategy, StringComparison.Ordinal);
            Assert.EndsWith($"seed={seed})", run.Strategy, StringComparison.Ordinal);
            RunReport again = ScenarioRunner.Run(Make(name), new RunOptions { Seed = seed, Strategy = "delay-bounding", Delays = 3 });
            Assert.Equal(run.TraceHash, again.TraceHash);
            Schedule reread = RoundTrip(run.Schedule);
            Assert.Equal(run.TraceHash, ScenarioRunner.Replay(Make(name)(), reread, null).TraceHash);
        }
    }

    [Fact]
    public void DelayBoundingWithNoDelaysIsOneScheduleAndDelaysChangeIt()
    {
        var hashes = Enumerable.Range(1, 8).Select(s => ScenarioRunner.Run(Make("counter"), new RunOptions { Seed = (ulong)s, Strategy = "delay-bounding", Delays = 0 }).TraceHash).ToHashSet();
        Assert.Single(hashes);
        var delayed = Enumerable.Range(1, 8).Select(s => ScenarioRunner.Run(Make("counter"), new RunOptions { Seed = (ulong)s, Strategy = "delay-bounding", Delays = 2 }).TraceHash).ToHashSet();
        Assert.True(delayed.Count > 1);
    }

    [Fact]
    public void TheKernelScenarioIsExploredDeterministicallyWithItsActorsGrouped()
    {
        var scenario = (ShadowPtScenario)ScenarioCatalog.TryCreate("default")!;
        Assert.Equal("kernel", scenario.SharedStateGroup("/user/mm"));
        Assert.Equal("kernel", scenario.SharedStateGroup("/user/cpu1"));
        Assert.Null(scenario.SharedStateGroup("/user/target"));
        Assert.Equal("inspector-output", scenario.SharedStateGroup("/user/inspector"));
        var options = Dpor with { ExecutionsMax = 12 };
        DfsResult first = DfsExplorer.Run(Make("default"), options);
        DfsResult second = DfsExplorer.Run(Make("default"), options);
        Assert.Null(first.FirstViolation);
        Assert.False(first.Exhaustive);
        Assert.Equal("executions-max 12", first.StoppedBy);
        Assert.Equal((first.Executions, first.SleepBlocked, first.DistinctTraces), (second.Executions, second.SleepBlocked, second.DistinctTraces));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DataChoicesAreExploredForEveryValue(bool reduction)
    {
        // Two choosers, each a boolean then an integer in [0, 3): 6 value pairs each, 36 end states.
        var states = new HashSet<string>(StringComparer.Ordinal);
        DfsResult result = DfsExplorer.Run(() => new ChoosingScenario(), new DfsOptions { Reduction = reduction }, r => states.Add(string.Join('\n', r.Description)));
        Assert.True(result.Exhaustive, result.Verdict);
        Assert.Equal(36, states.Count);
        if (reduction)
        {
            Assert.Equal(36, result.Executions);
        }
    }

    private static Schedule RoundTrip(Schedule schedule)
    {
        using var writer = new StringWriter();
        ScheduleFile.Write(schedule, writer);
        using var reader = new StringReader(writer.ToString());
        return ScheduleFile.Read(reader, "round-trip.schedule");
    }

    private static string Outcome(RunReport r) => string.Join('\n', r.Description) + "\n" + (r.Violation?.Kind ?? "ok");

    /// <summary>The scenario with its end check off, so that the exploration runs to the end and collects every end state (the violation is kept in the outcome by <see cref="ContinuingScenario"/>).</summary>
    private static Func<Scenario> Continuing(string name) => () => new ContinuingScenario(Make(name)());

    /// <summary>Wraps a scenario: the end check's verdict goes into the description instead of ending the exploration.</summary>
    private sealed class ContinuingScenario(Scenario inner) : Scenario
    {
        private string _verdict = "ok";

        public override string Name => inner.Name;

        public override string Summary => inner.Summary;

        public override void Setup(ShadowPt.Runtime.ActorSystem system) => inner.Setup(system);

        public override string? SharedStateGroup(string actorPath) => inner.SharedStateGroup(actorPath);

        public override ShadowPt.Runtime.Violation? CheckEnd(ShadowPt.Runtime.ActorSystem system)
        {
            _verdict = inner.CheckEnd(system)?.Kind ?? "ok";
            return null;
        }

        public override IEnumerable<string> Describe(ShadowPt.Runtime.ActorSystem system) => [.. inner.Describe(system), _verdict == "ok" ? "clean" : "assertion"];
    }

    /// <summary>Two independent actors that each ask the strategy for a boolean and an integer.</summary>
    private sealed class ChoosingScenario : Scenario
    {
        private readonly string[] _picked = ["", ""];

        public override string Name => "choosing";

        public override string Summary => "two actors pick values";

        public override void Setup(ShadowPt.Runtime.ActorSystem system)
        {
            string[] picked = _picked;
            for (int i = 0; i < 2; i++)
            {
                int me = i;
                var chooser = system.ActorOf(ShadowPt.Runtime.Actors.Props.Create(() => new Chooser(picked, me)), $"chooser{i}");
                chooser.Tell("go", null);
            }
        }

        public override IEnumerable<string> Describe(ShadowPt.Runtime.ActorSystem system) => [_picked[0], _picked[1]];

        private sealed class Chooser : ShadowPt.Runtime.Actors.ReceiveActor
        {
            public Chooser(string[] picked, int me) => Receive<string>(_ => picked[me] = $"{Context.ChooseBoolean()} {Context.ChooseInteger(3)}");
        }
    }
}

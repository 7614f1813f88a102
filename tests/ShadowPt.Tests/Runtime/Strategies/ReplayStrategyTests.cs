using Microsoft.Extensions.Logging;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.Runtime.Workloads;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Strategies;

/// <summary>A saved schedule reproduces its run bit for bit, and a schedule that does not fit says where.</summary>
public sealed class ReplayStrategyTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(42UL)]
    public void ReplayReproducesTraceHashAndDebugLog(ulong seed)
    {
        MeshRun recorded = MeshWorkload.Run(new RandomStrategy(seed), logLevel: LogLevel.Debug);
        MeshRun replayed = MeshWorkload.Run(new ReplayStrategy(recorded.Schedule), logLevel: LogLevel.Debug);

        Assert.Equal(recorded.TraceHash, replayed.TraceHash);
        Assert.Equal(recorded.Log, replayed.Log);
        Assert.Equal(recorded.Arrivals, replayed.Arrivals);

        // The log has one delivery line per step, and the actors' own lines between them.
        Assert.Equal(recorded.Steps, recorded.Log.Count(l => l.Contains("] deliver ", StringComparison.Ordinal)));
        Assert.Contains(recorded.Log, l => l.Contains("/user/r0: got -1:0", StringComparison.Ordinal));
    }

    [Fact]
    public void ReplayOfAPctRunReproducesIt()
    {
        MeshRun recorded = MeshWorkload.Run(new PctStrategy(9, depth: 3, stepsEstimate: 300));
        MeshRun replayed = MeshWorkload.Run(new ReplayStrategy(recorded.Schedule));
        Assert.Equal(recorded.TraceHash, replayed.TraceHash);
    }

    [Fact]
    public void ReplayOfAPrefixHandsOverToTheFallback()
    {
        MeshRun recorded = MeshWorkload.Run(new RandomStrategy(1));
        Schedule prefix = Truncate(recorded.Schedule, 50);

        MeshRun replayed = MeshWorkload.Run(new ReplayStrategy(prefix, fallback: new RandomStrategy(2)));

        Assert.Equal(recorded.Schedule.Choices.Take(50), replayed.Schedule.Choices.Take(50));
        MeshWorkload.AssertEveryPairInOrder(replayed);
    }

    [Fact]
    public void DeliveryOnAChannelThatIsNotEnabledNamesTheStep()
    {
        Schedule schedule = RecordTells(("r", 3));

        // The same channel 0 exists, but holds only two messages; channel 1 keeps the run going.
        var e = Assert.Throws<ScheduleDivergedException>(() => ReplayTells(schedule, ("r", 2), ("q", 1)));

        Assert.Equal("step 3: the schedule delivers on (outside) -> /user/r (user), but channel 0 is (outside) -> /user/r (user) and not enabled", e.Message);
    }

    [Fact]
    public void DeliveryOnAChannelBetweenOtherActorsNamesTheStep()
    {
        Schedule schedule = RecordTells(("r", 3));

        var e = Assert.Throws<ScheduleDivergedException>(() => ReplayTells(schedule, ("q", 3)));

        Assert.Equal("step 1: the schedule delivers on (outside) -> /user/r (user), but channel 0 is (outside) -> /user/q (user)", e.Message);
    }

    [Fact]
    public void RunLongerThanTheScheduleNamesTheStep()
    {
        Schedule schedule = RecordTells(("r", 2));

        var e = Assert.Throws<ScheduleDivergedException>(() => ReplayTells(schedule, ("r", 3)));

        Assert.Equal("step 3: the schedule ended after 2 choices, but the run goes on", e.Message);
    }

    [Fact]
    public void RunShorterThanTheScheduleSaysSo()
    {
        Schedule schedule = RecordTells(("r", 3));

        var e = Assert.Throws<ScheduleDivergedException>(() => ReplayTells(schedule, ("r", 2)));

        Assert.Equal("the run ended after 2 choices, but the schedule holds 3", e.Message);
    }

    [Fact]
    public void EndRunAfterAWholeScheduleIsQuiet()
    {
        Schedule schedule = RecordTells(("r", 3));

        ReplayTells(schedule, ("r", 3));
    }

    [Fact]
    public void ChoiceOfTheWrongKindInsideAHandlerNamesTheStepOfThatHandler()
    {
        // Record: the flipper's handler asks for one boolean during step 2.
        Schedule recorded = RunFlipper(new RandomStrategy(1), out _);
        Assert.Equal([ChoiceKind.Delivery, ChoiceKind.Delivery, ChoiceKind.Boolean], recorded.Choices.Select(c => c.Kind));

        // Tamper: the boolean becomes an integer. The run must stop with a divergence naming step 2,
        // not turn it into an actor exception or a complaint about the run's length.
        Schedule tampered = WithChoices(recorded, [recorded.Choices[0], recorded.Choices[1], new ScheduleChoice(ChoiceKind.Integer, 0)]);
        var e = Assert.Throws<ScheduleDivergedException>(() => RunFlipper(new ReplayStrategy(tampered), out _));

        Assert.Equal("step 2: choice 3 of the schedule is an integer choice, but the run asks for a boolean choice", e.Message);
    }

    [Fact]
    public void StrategyReportsTheCurrentStepForChoicesInsideAHandler()
    {
        // A boolean or integer is asked for during step n; a delivery choice decides step n + 1.
        Schedule schedule = WithChoices(RecordTells(("r", 1)), [new ScheduleChoice(ChoiceKind.Delivery, 0)]);

        var boolean = Assert.Throws<ScheduleDivergedException>(() => new ReplayStrategy(schedule).NextBoolean(step: 7));
        var integer = Assert.Throws<ScheduleDivergedException>(() => new ReplayStrategy(WithChoices(schedule, [])).NextInteger(4, step: 7));

        Assert.Equal("step 7: choice 1 of the schedule is a delivery choice, but the run asks for a boolean choice", boolean.Message);
        Assert.Equal("step 7: the schedule ended after 0 choices, but the run goes on", integer.Message);
    }

    [Fact]
    public void ReplayReproducesARunDrivenInPhases()
    {
        // Tests and the host drive runs in phases: send, run to quiescence, send more, run again.
        // Quiescence between phases is not the end of the run, so a replay must not end there.
        (string hash, Schedule schedule) = RunInPhases(new RandomStrategy(3));

        (string replayedHash, _) = RunInPhases(new ReplayStrategy(schedule));

        Assert.Equal(hash, replayedHash);
    }

    [Fact]
    public void ReplayReproducesAProbeDrivenTest()
    {
        (string hash, Schedule schedule) = ProbeDriven(new RandomStrategy(4));

        (string replayedHash, _) = ProbeDriven(new ReplayStrategy(schedule));

        Assert.Equal(hash, replayedHash);
    }

    private static (string Hash, Schedule Schedule) RunInPhases(SchedulingStrategy strategy)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("phases", strategy);
        IActorRef a = system.ActorOf(Props.Create(() => new Sink()), "a");
        IActorRef b = system.ActorOf(Props.Create(() => new Sink()), "b");
        for (int phase = 0; phase < 3; phase++)
        {
            a.Tell(new Numbered(0, phase));
            b.Tell(new Numbered(0, phase));
            Assert.Equal(RunOutcome.Quiescent, system.Run());
        }

        system.EndRun();
        return (system.TraceHash, system.CaptureSchedule("phases", null, 3));
    }

    private static (string Hash, Schedule Schedule) ProbeDriven(SchedulingStrategy strategy)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(strategy);
        TestProbe probe = kit.CreateProbe("probe");
        IActorRef echo = kit.ActorOf(Props.Create(() => new Echo()), "echo");
        probe.Send(echo, new Numbered(0, 1));
        probe.ExpectMsg(new Numbered(0, 1));
        probe.ExpectNoMsg();
        probe.Send(echo, new Numbered(0, 2));
        probe.ExpectMsg(new Numbered(0, 2));
        kit.System.EndRun();
        return (kit.System.TraceHash, kit.System.CaptureSchedule("probe", null, 4));
    }

    /// <summary>Tells each named actor its count of messages from outside, runs, and returns the schedule.</summary>
    private static Schedule RecordTells(params (string Actor, int Count)[] tells)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("tells", new RandomStrategy(1));
        Tell(system, tells);
        Assert.Equal(RunOutcome.Quiescent, system.Run());
        return system.CaptureSchedule("tells", null, 1);
    }

    private static void ReplayTells(Schedule schedule, params (string Actor, int Count)[] tells)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("tells", new ReplayStrategy(schedule));
        Tell(system, tells);
        system.Run();
        system.EndRun();
    }

    private static void Tell(ActorSystem system, (string Actor, int Count)[] tells)
    {
        foreach ((string name, int count) in tells)
        {
            IActorRef actor = system.ActorOf(Props.Create(() => new Sink()), name);
            for (int i = 0; i < count; i++)
            {
                actor.Tell(new Numbered(0, i));
            }
        }
    }

    private static Schedule RunFlipper(SchedulingStrategy strategy, out string hash)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("flip", strategy);
        IActorRef flipper = system.ActorOf(Props.Create(() => new Flipper()), "flipper");
        flipper.Tell("warm-up");
        flipper.Tell("flip");
        system.Run();
        hash = system.TraceHash;
        return system.CaptureSchedule("flip", null, 1);
    }

    private static Schedule Truncate(Schedule schedule, int count) => WithChoices(schedule, schedule.Choices.Take(count).ToArray());

    private static Schedule WithChoices(Schedule schedule, IReadOnlyList<ScheduleChoice> choices) => new()
    {
        Scenario = schedule.Scenario,
        ScenarioHash = schedule.ScenarioHash,
        Strategy = schedule.Strategy,
        Seed = schedule.Seed,
        StepsMax = schedule.StepsMax,
        Steps = schedule.Steps,
        Ticks = schedule.Ticks,
        TraceHash = schedule.TraceHash,
        Result = schedule.Result,
        Choices = choices,
        Channels = schedule.Channels,
    };

    private sealed class Sink : ReceiveActor
    {
        public Sink() => ReceiveAny(_ => { });
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    /// <summary>Asks the strategy for a boolean when told "flip".</summary>
    private sealed class Flipper : ReceiveActor
    {
        public Flipper()
        {
            Receive<string>(s => s == "flip", _ => Context.ChooseBoolean());
            Receive<string>(_ => { });
        }
    }
}

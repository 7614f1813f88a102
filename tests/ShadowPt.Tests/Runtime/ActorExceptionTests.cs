using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.Runtime.Workloads;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime;

/// <summary>An actor that throws ends a deterministic run with an actor-exception violation; its schedule replays to the same violation.</summary>
public sealed class ActorExceptionTests
{
    [Fact]
    public void ThrowEndsTheRunAndItsScheduleReplaysToTheSameViolationAtTheSameStep()
    {
        var violationSteps = new HashSet<long>();
        for (ulong seed = 1; seed <= 10; seed++)
        {
            (RunOutcome outcome, Violation violation, Schedule schedule, long stepsRun, long throwStep) = RunFragile(new RandomStrategy(seed));
            Assert.Equal(RunOutcome.Violation, outcome);
            Assert.Equal(Violation.ActorException, violation.Kind);
            Assert.Equal("/user/fragile threw InvalidOperationException handling Numbered: round 7 of sender 1", violation.Message);
            Assert.Equal(throwStep, violation.Step);
            Assert.Equal(violation.Step, stepsRun);
            Assert.Equal(Violation.ActorException, schedule.Result);
            violationSteps.Add(violation.Step);

            (RunOutcome replayOutcome, Violation replayed, Schedule replaySchedule, _, _) = RunFragile(new ReplayStrategy(schedule));
            Assert.Equal(RunOutcome.Violation, replayOutcome);
            Assert.Equal(violation with { Exception = null }, replayed with { Exception = null });
            Assert.Equal(schedule.TraceHash, replaySchedule.TraceHash);
        }

        // The violation's step depends on the schedule, so the replay had something to reproduce.
        Assert.True(violationSteps.Count > 1);
    }

    [Fact]
    public void ThrowInPostStopIsAnActorExceptionAndTheActorStillStops()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe watcher = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new ThrowsOnStop()), "stopper");
        watcher.Watch(actor);

        kit.System.Stop(actor);

        Assert.Equal(RunOutcome.Violation, kit.System.Run());
        Assert.Equal("/user/stopper threw InvalidOperationException handling TerminateMessage: PostStop failed", kit.System.Violation!.Message);
        Assert.True(((LocalActorRef)actor).Cell.IsStopped);
    }

    [Fact]
    public void ThrowInAChildsConstructorIsAnActorExceptionOfTheParent()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        kit.ActorOf(Props.Create(() => new Spawner()), "spawner").Tell("spawn");

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal("/user/spawner threw InvalidOperationException handling String: cannot construct", kit.System.Violation!.Message);
    }

    [Fact]
    public void ActorOfFromOutsideThrowsToTheCaller()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);

        var e = Assert.Throws<InvalidOperationException>(() => kit.ActorOf(Props.Create(() => new Unconstructible()), "broken"));

        Assert.Equal("cannot construct", e.Message);
        Assert.Null(kit.System.Violation);
    }

    private static (RunOutcome Outcome, Violation Violation, Schedule Schedule, long Steps, long ThrowStep) RunFragile(SchedulingStrategy strategy)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("fragile", strategy);
        var throwStep = new long[1];
        IActorRef fragile = system.ActorOf(Props.Create(() => new Fragile(throwStep)), "fragile");
        for (int s = 0; s < 3; s++)
        {
            int sender = s;
            system.ActorOf(Props.Create(() => new Burst(sender, fragile, 10)), $"s{s}").Tell("go");
        }

        RunOutcome outcome = system.Run();
        return (outcome, system.Violation!, system.CaptureSchedule("fragile", null, 0), system.Steps, throwStep[0]);
    }

    /// <summary>Sends rounds 0..count-1 to its target.</summary>
    private sealed class Burst : ReceiveActor
    {
        public Burst(int index, IActorRef target, int count)
        {
            Receive<string>(_ =>
            {
                for (int round = 0; round < count; round++)
                {
                    target.Tell(new Numbered(index, round));
                }
            });
        }
    }

    /// <summary>Throws on round 7 of sender 1, whenever that arrives.</summary>
    private sealed class Fragile : ReceiveActor
    {
        public Fragile(long[] throwStep)
        {
            Receive<Numbered>(n =>
            {
                if (n is { Sender: 1, Round: 7 })
                {
                    throwStep[0] = Context.Step;
                    throw new InvalidOperationException($"round {n.Round} of sender {n.Sender}");
                }
            });
        }
    }

    private sealed class ThrowsOnStop : ReceiveActor
    {
        protected internal override void PostStop() => throw new InvalidOperationException("PostStop failed");
    }

    private sealed class Unconstructible : ReceiveActor
    {
        public Unconstructible() => throw new InvalidOperationException("cannot construct");
    }

    private sealed class Spawner : ReceiveActor
    {
        public Spawner() => Receive<string>(_ => Context.ActorOf(Props.Create(() => new Unconstructible()), "child"));
    }
}

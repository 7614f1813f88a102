using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Recording;
using ShadowPt.Runtime.Strategies;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime;

/// <summary>Every bound ends a run with a bound-exceeded violation that names it, never a hang.</summary>
public sealed class RuntimeLimitsTests
{
    [Fact]
    public void StepsMaxEndsALivelockAndItsScheduleReplaysToTheSameViolation()
    {
        var limits = new RuntimeLimits { StepsMax = 1000 };
        (Violation violation, Schedule schedule) = RunPingPong(new RandomStrategy(1), limits);

        Assert.Equal(new Violation(Violation.BoundExceeded, "steps-max 1000 reached with 1 deliveries still enabled", 1000, Ticks.Zero), violation);
        Assert.Equal(1000, schedule.Choices.Count);

        (Violation replayed, _) = RunPingPong(new ReplayStrategy(schedule), limits);
        Assert.Equal(violation, replayed);
    }

    [Fact]
    public void MailboxBoundEndsAFloodFromAnActor()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { MailboxMessagesMax = 16 });
        IActorRef sink = kit.ActorOf(Props.Create(() => new Sink()), "sink");
        kit.ActorOf(Props.Create(() => new Flooder(sink, 100)), "flooder").Tell("go");

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal(new Violation(Violation.BoundExceeded, "mailbox of /user/sink exceeded 16 messages", 1, Ticks.Zero), kit.System.Violation);
        Assert.Equal(1, kit.System.Steps);
    }

    [Fact]
    public void MailboxBoundEndsAFloodFromOutsideBeforeTheFirstStep()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { MailboxMessagesMax = 16 });
        IActorRef sink = kit.ActorOf(Props.Create(() => new Sink()), "sink");
        for (int i = 0; i < 17; i++)
        {
            sink.Tell(i);
        }

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal("mailbox of /user/sink exceeded 16 messages", kit.System.Violation!.Message);
        Assert.Equal(0, kit.System.Steps);
    }

    [Fact]
    public void TicksMaxEndsAnEndlessTimer()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { TicksMax = 100 });
        kit.ActorOf(Props.Create(() => new Periodic(10)), "periodic");

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal(new Violation(Violation.BoundExceeded, "ticks-max 100 reached by a timer for /user/periodic", 10, new Ticks(100)), kit.System.Violation);
    }

    [Fact]
    public void TimersMaxAllowsExactlyThatManyPendingTimers()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { TimersMax = 4 });
        kit.ActorOf(Props.Create(() => new Arms(4)), "arms").Tell("go");

        kit.RunToQuiescence();

        Assert.Equal(new Ticks(13), kit.System.Now);
    }

    [Fact]
    public void TimersMaxEndsTooManyPendingTimers()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { TimersMax = 4 });
        kit.ActorOf(Props.Create(() => new Arms(5)), "arms").Tell("go");

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal(new Violation(Violation.BoundExceeded, "timers-max 4 pending timers reached", 1, Ticks.Zero), kit.System.Violation);
    }

    [Fact]
    public void ChoicesMaxEndsARunThatRecordsTooMuch()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { ChoicesMax = 10 });
        IActorRef sink = kit.ActorOf(Props.Create(() => new Sink()), "sink");
        for (int i = 0; i < 20; i++)
        {
            sink.Tell(i);
        }

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal(new Violation(Violation.BoundExceeded, "choices-max 10 reached", 11, Ticks.Zero), kit.System.Violation);
    }

    [Fact]
    public void ActorsMaxRefusesTheActorPastIt()
    {
        // The guardian is actor 1 of 3.
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { ActorsMax = 3 });
        kit.ActorOf(Props.Create(() => new Sink()), "a");
        kit.ActorOf(Props.Create(() => new Sink()), "b");

        var e = Assert.Throws<InvalidOperationException>(() => kit.ActorOf(Props.Create(() => new Sink()), "c"));

        Assert.Equal("actors-max 3 reached creating /user/c", e.Message);
    }

    [Fact]
    public void ZeroOrNegativeBoundsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ActorSystem.CreateDeterministic("bad", new RandomStrategy(1), new RuntimeLimits { StepsMax = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ActorSystem.CreateDeterministic("bad", new RandomStrategy(1), new RuntimeLimits { MailboxMessagesMax = -1 }));
    }

    private static (Violation Violation, Schedule Schedule) RunPingPong(SchedulingStrategy strategy, RuntimeLimits limits)
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("livelock", strategy, limits);
        IActorRef ping = system.ActorOf(Props.Create(() => new Echo()), "ping");
        IActorRef pong = system.ActorOf(Props.Create(() => new Echo()), "pong");
        ping.Tell("ball", pong);
        Assert.Equal(RunOutcome.Violation, system.Run());
        return (system.Violation!, system.CaptureSchedule("livelock", null, 1));
    }

    private sealed class Sink : ReceiveActor
    {
        public Sink() => ReceiveAny(_ => { });
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    private sealed class Flooder : ReceiveActor
    {
        public Flooder(IActorRef target, int count) => Receive<string>(_ =>
        {
            for (int i = 0; i < count; i++)
            {
                target.Tell(i);
            }
        });
    }

    private sealed class Periodic : ReceiveActor
    {
        public Periodic(long intervalTicks)
        {
            Context.ScheduleTellRepeatedly(intervalTicks, intervalTicks, Self, "tick");
            Receive<string>(_ => { });
        }
    }

    private sealed class Arms : ReceiveActor
    {
        public Arms(int count) => Receive<string>(_ =>
        {
            for (int i = 0; i < count; i++)
            {
                Context.ScheduleTellOnce(10 + i, Self, i);
            }
        });
    }
}

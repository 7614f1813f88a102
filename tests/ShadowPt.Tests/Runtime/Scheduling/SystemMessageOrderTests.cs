using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Scheduling;

/// <summary>System messages (stop, death-watch notices) overtake user messages queued before them.</summary>
public sealed class SystemMessageOrderTests
{
    public static TheoryData<ulong> Seeds() => new(Enumerable.Range(1, 20).Select(s => (ulong)s));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void StopFromOutsideOvertakesQueuedUserMessages(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var counter = new HandledCount();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Counter(counter)), "counter");
        for (int i = 0; i < 10; i++)
        {
            actor.Tell(i);
        }

        kit.System.Stop(actor);
        kit.RunToQuiescence();

        Assert.Equal(0, counter.Value);
        Assert.Equal(10, kit.System.DeadLetters);
        Assert.Equal(1, kit.System.Steps);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void StopFromTheSenderOvertakesWhatItSentBefore(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var counter = new HandledCount();
        IActorRef target = kit.ActorOf(Props.Create(() => new Counter(counter)), "target");
        IActorRef killer = kit.ActorOf(Props.Create(() => new SendThenStop(target, 5)), "killer");

        killer.Tell("go");
        kit.RunToQuiescence();

        Assert.Equal(0, counter.Value);
        Assert.Equal(5, kit.System.DeadLetters);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void TerminatedOvertakesUserMessagesSentBeforeIt(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        TestProbe probe = kit.CreateProbe();
        IActorRef dying = kit.ActorOf(Props.Create(() => new TellsOnStop(probe.Ref, 5)), "dying");
        probe.Watch(dying);

        kit.System.Stop(dying);

        // PostStop sent five user messages before the runtime queued the death-watch notice.
        probe.ExpectTerminated(dying);
        for (int i = 0; i < 5; i++)
        {
            probe.ExpectMsg(i);
        }

        probe.ExpectNoMsg();
    }

    /// <summary>How many messages a <see cref="Counter"/> handled; outlives the actor.</summary>
    private sealed class HandledCount
    {
        public int Value { get; set; }
    }

    private sealed class Counter : ReceiveActor
    {
        public Counter(HandledCount count) => ReceiveAny(_ => count.Value++);
    }

    private sealed class SendThenStop : ReceiveActor
    {
        public SendThenStop(IActorRef target, int count)
        {
            Receive<string>(_ =>
            {
                for (int i = 0; i < count; i++)
                {
                    target.Tell(i);
                }

                Context.Stop(target);
            });
        }
    }

    private sealed class TellsOnStop(IActorRef target, int count) : ReceiveActor
    {
        protected internal override void PostStop()
        {
            for (int i = 0; i < count; i++)
            {
                target.Tell(i);
            }
        }
    }
}

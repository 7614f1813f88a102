using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Actors;

/// <summary>Stop and PoisonPill: what an actor still handles, what becomes a dead letter, and PostStop.</summary>
public sealed class StopTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void PoisonPillStopsAfterTheMessagesQueuedBeforeIt(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        TestProbe probe = kit.CreateProbe("probe");
        TestProbe watcher = kit.CreateProbe("watcher");
        IActorRef actor = kit.ActorOf(Props.Create(() => new Recorder(probe.Ref)), "recorder");
        watcher.Watch(actor);

        actor.Tell(1);
        actor.Tell(2);
        actor.Tell(PoisonPill.Instance);
        actor.Tell(3);

        // A separate watcher: Terminated is a system message and may overtake the user messages
        // the actor sent before it stopped.
        probe.ExpectMsg(1);
        probe.ExpectMsg(2);
        probe.ExpectMsg("post-stop");
        watcher.ExpectTerminated(actor);
        probe.ExpectNoMsg();
        watcher.ExpectNoMsg();
        Assert.Equal(1, kit.System.DeadLetters);
        Assert.Equal(0, kit.System.Unhandled);
    }

    [Fact]
    public void StopSelfDropsTheRestOfTheMailbox()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Recorder(probe.Ref)), "recorder");

        actor.Tell(1);
        actor.Tell("stop");
        actor.Tell(2);
        actor.Tell(3);

        probe.ExpectMsg(1);
        probe.ExpectMsg("post-stop");
        probe.ExpectNoMsg();
        Assert.Equal(2, kit.System.DeadLetters);
    }

    [Fact]
    public void MessagesToAStoppedActorAreDeadLettersAndPostStopRunsOnce()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Recorder(probe.Ref)), "recorder");
        kit.System.Stop(actor);
        probe.ExpectMsg("post-stop");

        actor.Tell(1);
        kit.System.Stop(actor);

        probe.ExpectNoMsg();
        Assert.Equal(2, kit.System.DeadLetters);
    }

    [Fact]
    public void StoppedActorsNameCanBeUsedAgain()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef first = kit.ActorOf(Props.Create(() => new Recorder(probe.Ref)), "recorder");
        kit.System.Stop(first);
        probe.ExpectMsg("post-stop");

        IActorRef second = kit.ActorOf(Props.Create(() => new Recorder(probe.Ref)), "recorder");
        second.Tell(7);

        probe.ExpectMsg(7);
        Assert.Equal(first.Path, second.Path);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void StopWhileAnAsyncHandlerIsSuspendedNeverResumesIt()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe server = kit.CreateProbe("server");
        TestProbe report = kit.CreateProbe("report");
        IActorRef asker = kit.ActorOf(Props.Create(() => new Asker(server.Ref, report.Ref)), "asker");

        asker.Tell("go");
        server.ExpectMsg("question");
        kit.System.Stop(asker);
        report.ExpectMsg("post-stop");

        server.Reply("answer");

        report.ExpectNoMsg();
        Assert.Equal(1, kit.System.DeadLetters);
    }

    /// <summary>Tells its probe every message it handles, stops itself on "stop", and reports PostStop.</summary>
    private sealed class Recorder : ReceiveActor
    {
        private readonly IActorRef _probe;

        public Recorder(IActorRef probe)
        {
            _probe = probe;
            Receive<string>(s => s == "stop", _ => Context.Stop(Self));
            ReceiveAny(m => probe.Tell(m));
        }

        protected internal override void PostStop() => _probe.Tell("post-stop");
    }

    private sealed class Asker : ReceiveActor
    {
        private readonly IActorRef _report;

        public Asker(IActorRef server, IActorRef report)
        {
            _report = report;
            ReceiveAsync<string>(_ => AskAndReport(server));
        }

        protected internal override void PostStop() => _report.Tell("post-stop");

        private async ActorTask AskAndReport(IActorRef server)
        {
            string answer = await Context.Ask<string>(server, "question");
            _report.Tell("resumed with " + answer);
        }
    }
}

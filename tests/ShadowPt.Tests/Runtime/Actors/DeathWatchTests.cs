using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Actors;

/// <summary>Watch, Unwatch and Terminated, as in Akka.NET.</summary>
public sealed class DeathWatchTests
{
    [Fact]
    public void WatcherGetsTerminatedOnceWhenTheWatchedActorStops()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Idle()), "idle");
        probe.Watch(actor);
        probe.Watch(actor);

        kit.System.Stop(actor);

        Terminated terminated = probe.ExpectTerminated(actor);
        Assert.Equal("/user/idle", terminated.ActorRef.Path);
        probe.ExpectNoMsg();
    }

    [Fact]
    public void WatchingAnActorThatAlreadyStoppedDeliversTerminated()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Idle()), "idle");
        kit.System.Stop(actor);
        kit.RunToQuiescence();

        probe.Watch(actor);

        probe.ExpectTerminated(actor);
        probe.ExpectNoMsg();
    }

    [Fact]
    public void UnwatchBeforeTheStopMeansNoTerminated()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Idle()), "idle");
        probe.Watch(actor);
        probe.Unwatch(actor);

        kit.System.Stop(actor);

        probe.ExpectNoMsg();
    }

    [Fact]
    public void UnwatchAfterTheNoticeIsQueuedDropsIt()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef actor = kit.ActorOf(Props.Create(() => new Idle()), "idle");
        probe.Watch(actor);
        kit.System.Stop(actor);
        kit.System.RunUntil(() => kit.System.Steps == 1);

        probe.Unwatch(actor);

        probe.ExpectNoMsg();
        Assert.Equal(2, kit.System.Steps);
    }

    [Fact]
    public void ActorsWatchEachOtherThroughTheirContext()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef watched = kit.ActorOf(Props.Create(() => new Idle()), "watched");
        kit.ActorOf(Props.Create(() => new ReportsTermination(watched, probe.Ref)), "watcher");

        kit.System.Stop(watched);

        Assert.Equal("/user/watched stopped", probe.ExpectMsg<string>());
        probe.ExpectNoMsg();
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(4UL)]
    [InlineData(5UL)]
    public void StoppingAParentStopsItsChildrenBeforeItIsTerminated(ulong seed)
    {
        // Akka's guarantee: a parent's Terminated is sent only after all of its children stopped. The
        // notices reach a third watcher on different channels, so their order there is the schedule's.
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        TestProbe probe = kit.CreateProbe();
        IActorRef parent = kit.ActorOf(Props.Create(() => new Parent(2)), "parent");
        probe.Send(parent, "children");
        IReadOnlyList<IActorRef> children = probe.ExpectMsg<IReadOnlyList<IActorRef>>();
        probe.Watch(parent);
        foreach (IActorRef child in children)
        {
            probe.Watch(child);
        }

        kit.System.Stop(parent);

        var seen = new List<string>();
        while (seen.Count < 3)
        {
            Terminated terminated = probe.ExpectMsg<Terminated>();
            seen.Add(terminated.ActorRef.Path);
            if (terminated.ActorRef == parent)
            {
                Assert.All(children, c => Assert.True(((LocalActorRef)c).Cell.IsStopped, $"{c.Path} still runs"));
            }
        }

        Assert.Equal(["/user/parent", "/user/parent/c0", "/user/parent/c1"], seen.Order());
        probe.ExpectNoMsg();
        Assert.Equal(0, kit.System.DeadLetters);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void PostStopRunsInChildrenBeforeTheirParentAndTheParentHandlesNothingMeanwhile(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var stopped = new List<string>();
        IActorRef root = kit.ActorOf(Props.Create(() => new Tree(stopped, depth: 2)), "root");
        kit.RunToQuiescence();

        kit.System.Stop(root);
        root.Tell("late");
        kit.RunToQuiescence();

        // Every actor stops after all of its descendants.
        Assert.Equal(7, stopped.Count);
        foreach (string path in stopped)
        {
            Assert.DoesNotContain(stopped.Skip(stopped.IndexOf(path) + 1), later => later.StartsWith(path + "/", StringComparison.Ordinal));
        }

        Assert.Equal("/user/root", stopped[^1]);
        Assert.Equal(0, kit.System.Unhandled);
        Assert.Equal(1, kit.System.DeadLetters);
    }

    private sealed class Idle : ReceiveActor
    {
        public Idle() => ReceiveAny(_ => { });
    }

    private sealed class ReportsTermination : ReceiveActor
    {
        public ReportsTermination(IActorRef watched, IActorRef report)
        {
            Context.Watch(watched);
            Receive<Terminated>(t => report.Tell($"{t.ActorRef.Path} stopped"));
        }
    }

    /// <summary>A binary tree of actors that records the order of their PostStop.</summary>
    private sealed class Tree : ReceiveActor
    {
        private readonly List<string> _stopped;

        public Tree(List<string> stopped, int depth)
        {
            _stopped = stopped;
            for (int i = 0; i < 2 && depth > 0; i++)
            {
                Context.ActorOf(Props.Create(() => new Tree(stopped, depth - 1)), $"t{i}");
            }
        }

        protected internal override void PostStop() => _stopped.Add(Self.Path);
    }

    private sealed class Parent : ReceiveActor
    {
        public Parent(int children)
        {
            for (int i = 0; i < children; i++)
            {
                Context.ActorOf(Props.Create(() => new Idle()), $"c{i}");
            }

            Receive<string>(_ => Sender.Tell(Context.Children));
        }
    }
}

using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Async;

/// <summary>An async handler runs as sequential code; while it is suspended only replies, system messages and interrupts reach its actor.</summary>
public sealed class AsyncHandlerTests
{
    public static TheoryData<ulong> Seeds() => new(Enumerable.Range(1, 10).Select(s => (ulong)s));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SuspendedHandlerHoldsUserMessagesButTakesRepliesAndInterrupts(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        TestProbe server = kit.CreateProbe("server");
        var events = new List<string>();
        IActorRef cpu = kit.ActorOf(Props.Create(() => new Cpu(server.Ref, events)), "cpu");

        cpu.Tell(new Syscall());
        server.ExpectMsg("request");
        cpu.Tell("user");
        cpu.Tell(new Ipi(1));
        server.ExpectNoMsg();
        Assert.Equal(["syscall begins", "ipi 1"], events);

        server.Reply("reply");
        kit.RunToQuiescence();

        Assert.Equal(["syscall begins", "ipi 1", "syscall ends with reply", "user"], events);
    }

    [Fact]
    public void SenderAfterAnAwaitIsStillTheSenderOfTheMessageBeingHandled()
    {
        // Akka.NET keeps Sender across awaits in ReceiveAsync; a syscall handler replies to its caller
        // after talking to other actors, so it must not see the last replier as its Sender.
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe caller = kit.CreateProbe("caller");
        TestProbe server = kit.CreateProbe("server");
        IActorRef relay = kit.ActorOf(Props.Create(() => new Relay(server.Ref)), "relay");

        caller.Send(relay, "question");
        server.ExpectMsg("question");
        server.Reply("answer");

        caller.ExpectMsg("answer via /user/relay");
        server.ExpectNoMsg();
    }

    [Fact]
    public void YieldAndDelayAreSchedulingPointsAndDelayMovesSimulatedTime()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        kit.ActorOf(Props.Create(() => new Sleeper(probe.Ref)), "sleeper").Tell("go");

        Assert.Equal(new Ticks(0), probe.ExpectMsg<Ticks>());
        Assert.Equal(new Ticks(0), probe.ExpectMsg<Ticks>());
        Assert.Equal(new Ticks(5), probe.ExpectMsg<Ticks>());
        Assert.Equal(new Ticks(12), probe.ExpectMsg<Ticks>());
        probe.ExpectNoMsg();
    }

    [Fact]
    public void YieldIsAChoiceOfTheStrategyNotABarrierButDelayZeroWaitsForQuiescence()
    {
        // Yield lets the strategy run any other enabled delivery first, or none; Delay(0) is a timer,
        // and timers fire only when nothing else is ready.
        // Seeds where the yielder runs first, so that all three other messages are still queued.
        var yieldOutcomes = new HashSet<int>();
        for (ulong seed = 1; seed <= 40; seed++)
        {
            yieldOutcomes.Add(OthersDeliveredBeforeResume(seed, delayTicks: -1));
            Assert.Contains(OthersDeliveredBeforeResume(seed, delayTicks: 0), new[] { -1, 3 });
        }

        Assert.Contains(0, yieldOutcomes);
        Assert.Contains(3, yieldOutcomes);
    }

    [Fact]
    public void NestedAsyncMethodsReturnValuesThroughAwaits()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe server = kit.CreateProbe("server");
        TestProbe probe = kit.CreateProbe("probe");
        kit.ActorOf(Props.Create(() => new Walker(server.Ref, probe.Ref)), "walker").Tell("walk");

        // Four levels, each an ask, as a page-table walk from pgd to pte.
        for (int level = 4; level >= 1; level--)
        {
            server.ExpectMsg(level);
            server.Reply(level * 10);
        }

        probe.ExpectMsg(100);
    }

    [Fact]
    public void ThrowAfterAnAwaitIsAnActorExceptionNamingTheReply()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe server = kit.CreateProbe("server");
        kit.ActorOf(Props.Create(() => new FailsAfterReply(server.Ref)), "failing").Tell("go");
        server.ExpectMsg("request");
        server.Reply("reply");

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Violation violation = kit.System.Violation!;
        Assert.Equal(Violation.ActorException, violation.Kind);
        Assert.Equal("/user/failing threw InvalidOperationException handling the reply String: bad reply", violation.Message);
        Assert.Equal(3, violation.Step);
        Assert.IsType<InvalidOperationException>(violation.Exception);
    }

    [Fact]
    public void ReplyOfTheWrongTypeFailsTheAwaitWithAClearMessage()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe server = kit.CreateProbe("server");
        kit.ActorOf(Props.Create(() => new Walker(server.Ref, server.Ref)), "walker").Tell("walk");
        server.ExpectMsg(4);
        server.Reply("not an int");

        Assert.Equal(RunOutcome.Violation, kit.System.Run());

        Assert.Equal("/user/walker threw InvalidCastException handling the reply String: ask to /user/server expected Int32 but the reply was String", kit.System.Violation!.Message);
    }

    /// <summary>How many of three messages queued for another actor were delivered between a yield (negative delay) or delay and its resumption.</summary>
    private static int OthersDeliveredBeforeResume(ulong seed, long delayTicks)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var delivered = new List<string>();
        IActorRef other = kit.ActorOf(Props.Create(() => new Appender(delivered)), "other");
        IActorRef yielder = kit.ActorOf(Props.Create(() => new Yielder(delivered, delayTicks)), "yielder");
        yielder.Tell("go");
        other.Tell("m1");
        other.Tell("m2");
        other.Tell("m3");
        kit.RunToQuiescence();

        // -1 when the strategy delivered another message before the yielder even started.
        return delivered.IndexOf("suspended") == 0 ? delivered.IndexOf("resumed") - 1 : -1;
    }

    /// <summary>An interrupt, as an IPI.</summary>
    private sealed record Ipi(int Vector) : IInterrupt;

    /// <summary>A system call that asks the server once.</summary>
    private sealed record Syscall;

    /// <summary>Runs a "syscall" that asks the server; handles user messages and IPIs.</summary>
    private sealed class Cpu : ReceiveActor
    {
        public Cpu(IActorRef server, List<string> events)
        {
            Receive<Ipi>(ipi => events.Add($"ipi {ipi.Vector}"));
            ReceiveAsync<Syscall>(async _ =>
            {
                events.Add("syscall begins");
                string reply = await Context.Ask<string>(server, "request");
                events.Add("syscall ends with " + reply);
            });
            Receive<string>(events.Add);
        }
    }

    /// <summary>Asks the server, then answers its own sender.</summary>
    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef server)
        {
            ReceiveAsync<string>(async question =>
            {
                string answer = await Context.Ask<string>(server, question);
                Sender.Tell($"{answer} via {Self.Path}");
            });
        }
    }

    private sealed class Appender : ReceiveActor
    {
        public Appender(List<string> delivered) => Receive<string>(delivered.Add);
    }

    /// <summary>Yields or delays and records when it suspended and when it resumed.</summary>
    private sealed class Yielder : ReceiveActor
    {
        public Yielder(List<string> delivered, long delayTicks)
        {
            ReceiveAsync<string>(async _ =>
            {
                delivered.Add("suspended");
                await (delayTicks < 0 ? Context.Yield() : Context.Delay(delayTicks));
                delivered.Add("resumed");
            });
        }
    }

    private sealed class Sleeper : ReceiveActor
    {
        public Sleeper(IActorRef probe)
        {
            ReceiveAsync<string>(async _ =>
            {
                probe.Tell(Context.Now);
                await Context.Yield();
                probe.Tell(Context.Now);
                await Context.Delay(5);
                probe.Tell(Context.Now);
                await Context.Delay(7);
                probe.Tell(Context.Now);
            });
        }
    }

    /// <summary>Walks four levels by asks in nested async methods, and reports the sum.</summary>
    private sealed class Walker : ReceiveActor
    {
        private readonly IActorRef _server;

        public Walker(IActorRef server, IActorRef probe)
        {
            _server = server;
            ReceiveAsync<string>(async _ => probe.Tell(await Walk(4)));
        }

        private async ActorTask<int> Walk(int level)
        {
            int entry = await Context.Ask<int>(_server, level);
            return level == 1 ? entry : entry + await Walk(level - 1);
        }
    }

    private sealed class FailsAfterReply : ReceiveActor
    {
        public FailsAfterReply(IActorRef server)
        {
            ReceiveAsync<string>(async _ =>
            {
                string reply = await Context.Ask<string>(server, "request");
                throw new InvalidOperationException("bad " + reply);
            });
        }
    }
}

using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;

namespace ShadowPt.Tests.TestKit;

/// <summary>The probe itself: what it expects, and how it says what went wrong.</summary>
public sealed class TestProbeTests
{
    [Fact]
    public void ExpectMsgRunsTheSystemOnlyUntilTheProbeHasAMessage()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");
        IActorRef counter = kit.ActorOf(Props.Create(() => new CountsTo(probe.Ref)), "counter");

        counter.Tell(3);

        // Each expectation stops the run at the step that delivered to the probe, not later.
        Assert.Equal(1, probe.ExpectMsg<int>());
        Assert.Equal(kit.System.Steps, probe.LastReceived.Step);
        Assert.Equal(2, probe.ExpectMsg<int>(n => n == 2));
        Assert.Equal(kit.System.Steps, probe.LastReceived.Step);
        Assert.Equal(3, probe.ExpectMsg(3));
        Assert.Equal(kit.System.Steps, probe.LastReceived.Step);
        Assert.Same(counter, probe.Sender);
        probe.ExpectNoMsg();
    }

    [Fact]
    public void ExpectMsgSaysWhenTheSystemWentQuiescent()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");

        var e = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg<string>());

        Assert.Equal("probe 'probe' expected a String but the system went quiescent with nothing for the probe (step 0, tick 0, 0 steps run by this expectation)", e.Message);
    }

    [Fact]
    public void ExpectMsgSaysWhatCameInstead()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");
        probe.Ref.Tell(42);
        probe.Ref.Tell(43);
        probe.Ref.Tell(44);

        var wrongType = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg<string>());
        var wrongValue = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg<int>(n => n > 100, "above 100"));
        var notEqual = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg(7));

        Assert.Equal("probe 'probe' expected a String but received 42 from /deadLetters at step 1", wrongType.Message);
        Assert.Equal("probe 'probe' expected an Int32 above 100 matching the predicate but received 43 from /deadLetters at step 2", wrongValue.Message);
        Assert.Equal("probe 'probe' expected 7 but received 44 from /deadLetters at step 3", notEqual.Message);
    }

    [Fact]
    public void ExpectMsgIsBoundedByExpectStepsMaxOnABusySystem()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        var probe = new TestProbe(kit.System, "probe") { ExpectStepsMax = 50 };
        IActorRef spinner = kit.ActorOf(Props.Create(() => new Spinner()), "spinner");
        spinner.Tell("spin");

        var e = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg<string>());

        Assert.Equal("probe 'probe' expected a String but nothing came within expect-steps-max 50 steps and the system is still busy (step 50, tick 0, 50 steps run by this expectation)", e.Message);
    }

    [Fact]
    public void ExpectMsgReportsTheViolationThatEndedTheRun()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");
        kit.ActorOf(Props.Create(() => new Fragile()), "fragile").Tell("boom");

        var e = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg<string>());

        Assert.Equal("probe 'probe' expected a String but the run ended with a violation (step 1, tick 0, 1 steps run by this expectation): actor-exception at step 1: /user/fragile threw InvalidOperationException handling String: boom", e.Message);
    }

    [Fact]
    public void ExpectNoMsgFailsOnAMessageAndOnABusySystem()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");
        IActorRef counter = kit.ActorOf(Props.Create(() => new CountsTo(probe.Ref)), "counter");
        counter.Tell(1);

        var arrived = Assert.Throws<ExpectationFailedException>(probe.ExpectNoMsg);

        Assert.Equal("probe 'probe' expected no message but received 1 from /user/counter at step 3", arrived.Message);

        var busy = new TestProbe(kit.System, "busy") { ExpectStepsMax = 10 };
        kit.ActorOf(Props.Create(() => new Spinner()), "spinner").Tell("spin");
        var e = Assert.Throws<ExpectationFailedException>(busy.ExpectNoMsg);
        Assert.StartsWith("probe 'busy' expected no message and quiescence but nothing came within expect-steps-max 10 steps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpectNoMsgWithinSuitsSystemsThatNeverGoQuiet()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");
        kit.ActorOf(Props.Create(() => new Spinner()), "spinner").Tell("spin");

        probe.ExpectNoMsgWithin(100);

        Assert.Equal(100, kit.System.Steps);
    }

    [Fact]
    public void ReplyAnswersAnAskAndForwardKeepsTheSender()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe server = kit.CreateProbe("server");
        TestProbe report = kit.CreateProbe("report");
        TestProbe other = kit.CreateProbe("other");
        kit.ActorOf(Props.Create(() => new Asker(server.Ref, report.Ref)), "asker").Tell("go");

        Assert.Equal("question", server.ExpectMsg<string>());
        Assert.Equal("/user/asker/$ask1", server.Sender.Path);
        server.Forward(other.Ref);
        other.ExpectMsg("question");
        other.Reply("forwarded answer");

        report.ExpectMsg("got forwarded answer");
    }

    [Fact]
    public void SenderBeforeAnyMessageSaysSo()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe("probe");

        var e = Assert.Throws<InvalidOperationException>(() => probe.Sender);

        Assert.Equal("probe 'probe' has not taken a message yet", e.Message);
    }

    [Fact]
    public void ReceiveNTakesMessagesOfAnyType()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        probe.Ref.Tell(1);
        probe.Ref.Tell("two");

        Assert.Equal([1, "two"], probe.ReceiveN(2));
    }

    [Fact]
    public void ProbesGetDistinctDefaultNames()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);

        Assert.Equal("/user/probe-1", kit.CreateProbe().Ref.Path);
        Assert.Equal("/user/probe-2", kit.CreateProbe().Ref.Path);
    }

    [Fact]
    public void OnAThreadedSystemExpectMsgBlocksUntilTheMessageComes()
    {
        using ActorTestKit kit = ActorTestKit.Threaded();
        TestProbe probe = kit.CreateProbe("probe");
        IActorRef counter = kit.ActorOf(Props.Create(() => new CountsTo(probe.Ref)), "counter");

        counter.Tell(100);

        for (int i = 1; i <= 100; i++)
        {
            probe.ExpectMsg(i);
        }
    }

    [Fact]
    public void OnAThreadedSystemExpectMsgEndsEarlyOnAViolation()
    {
        using ActorTestKit kit = ActorTestKit.Threaded();
        var probe = new TestProbe(kit.System, "probe") { WaitMax = TimeSpan.FromMinutes(5) };
        kit.ActorOf(Props.Create(() => new Fragile()), "fragile").Tell("boom");

        var e = Assert.Throws<ExpectationFailedException>(() => probe.ExpectMsg<string>());

        Assert.Equal("probe 'probe' expected a String but the run has a violation: actor-exception at step 0: /user/fragile threw InvalidOperationException handling String: boom", e.Message);
    }

    [Fact]
    public void OnAThreadedSystemExpectNoMsgRefusesToGuess()
    {
        using ActorTestKit kit = ActorTestKit.Threaded();
        TestProbe probe = kit.CreateProbe("probe");

        var e = Assert.Throws<InvalidOperationException>(probe.ExpectNoMsg);

        Assert.StartsWith("probe 'probe': a threaded system has no quiescence to wait for", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Told n, tells its target 1..n, one number per step (a self-message between numbers).</summary>
    private sealed class CountsTo : ReceiveActor
    {
        public CountsTo(IActorRef target)
        {
            int next = 1;
            int last = 0;
            Receive<int>(n =>
            {
                last = n;
                Self.Tell("next");
            });
            Receive<string>(_ =>
            {
                target.Tell(next);
                if (next++ < last)
                {
                    Self.Tell("next");
                }
            });
        }
    }

    private sealed class Spinner : ReceiveActor
    {
        public Spinner() => Receive<string>(s => Self.Tell(s));
    }

    private sealed class Fragile : ReceiveActor
    {
        public Fragile() => Receive<string>(s => throw new InvalidOperationException(s));
    }

    private sealed class Asker : ReceiveActor
    {
        public Asker(IActorRef server, IActorRef report)
        {
            ReceiveAsync<string>(_ => AskAndReport(server, report));
        }

        private async ActorTask AskAndReport(IActorRef server, IActorRef report)
        {
            string answer = await Context.Ask<string>(server, "question");
            report.Tell("got " + answer);
        }
    }
}

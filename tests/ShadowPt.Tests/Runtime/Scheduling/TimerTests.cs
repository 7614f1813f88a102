using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Tests.TestKit;

namespace ShadowPt.Tests.Runtime.Scheduling;

/// <summary>Simulated time: timers fire in tick order, and the clock moves only when nothing can be delivered.</summary>
public sealed class TimerTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void TimersFireInTickOrderAndEqualTicksInCreationOrder(ulong seed)
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        TestProbe probe = kit.CreateProbe();
        kit.ActorOf(Props.Create(() => new Arms(probe.Ref, [("c", 30), ("a", 10), ("b", 20), ("a2", 10), ("now", 0)])), "timers");

        Assert.Equal("now@0", probe.ExpectMsg<string>());
        Assert.Equal("a@10", probe.ExpectMsg<string>());
        Assert.Equal("a2@10", probe.ExpectMsg<string>());
        Assert.Equal("b@20", probe.ExpectMsg<string>());
        Assert.Equal("c@30", probe.ExpectMsg<string>());
        probe.ExpectNoMsg();
        Assert.Equal(new Ticks(30), kit.System.Now);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void TimeAdvancesOnlyWhenNothingIsReady(ulong seed)
    {
        const int rallies = 100;
        using ActorTestKit kit = ActorTestKit.Deterministic(seed);
        var seen = new List<(long Step, long Tick, string What)>();
        IActorRef player = kit.ActorOf(Props.Create(() => new Player(seen)), "player");

        player.Tell(new Rally(rallies));
        kit.RunToQuiescence();

        // The timer was due at tick 1 from the first step, but fired only after the last rally.
        Assert.Equal(rallies + 2, seen.Count);
        Assert.All(seen.Take(rallies + 1), s => Assert.Equal(0, s.Tick));
        Assert.Equal((rallies + 2L, 1L, "timer"), seen[^1]);
    }

    [Fact]
    public void CancelledTimerNeverFiresAndRepeatingTimerFiresUntilCancelled()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        kit.ActorOf(Props.Create(() => new Metronome(probe.Ref)), "metronome");

        Assert.Equal("tick@5", probe.ExpectMsg<string>());
        Assert.Equal("tick@10", probe.ExpectMsg<string>());
        Assert.Equal("tick@15", probe.ExpectMsg<string>());
        probe.ExpectNoMsg();
        Assert.Equal(new Ticks(15), kit.System.Now);
    }

    [Fact]
    public void CancelledTimersDoNotCountAgainstTimersMax()
    {
        // timers-max bounds timers pending at once; a watchdog armed and cancelled on every request
        // must not use the bound up.
        using ActorTestKit kit = ActorTestKit.Deterministic(1, new RuntimeLimits { TimersMax = 4 });
        IActorRef watchdog = kit.ActorOf(Props.Create(() => new Watchdog()), "watchdog");

        for (int request = 0; request < 10; request++)
        {
            watchdog.Tell(request);
        }

        kit.RunToQuiescence();
    }

    [Fact]
    public void TimersToAStoppedActorAreDropped()
    {
        using ActorTestKit kit = ActorTestKit.Deterministic(1);
        TestProbe probe = kit.CreateProbe();
        IActorRef timers = kit.ActorOf(Props.Create(() => new Arms(probe.Ref, [("late", 10)])), "timers");
        kit.System.Stop(timers);

        probe.ExpectNoMsg();
        Assert.Equal(new Ticks(0), kit.System.Now);
    }

    private sealed record Rally(int Left);

    /// <summary>Arms one timer per (name, delay) at start; each fire tells the probe "name@tick".</summary>
    private sealed class Arms : ReceiveActor
    {
        public Arms(IActorRef probe, (string Name, long Delay)[] timers)
        {
            foreach ((string name, long delay) in timers)
            {
                Context.ScheduleTellOnce(delay, Self, name);
            }

            Receive<string>(name => probe.Tell($"{name}@{Context.Now}"));
        }
    }

    /// <summary>Arms a timer for tick 1, then rallies with itself at tick 0.</summary>
    private sealed class Player : ReceiveActor
    {
        public Player(List<(long, long, string)> seen)
        {
            Receive<Rally>(r =>
            {
                if (seen.Count == 0)
                {
                    Context.ScheduleTellOnce(1, Self, "timer");
                }

                seen.Add((Context.Step, Context.Now.Value, "rally"));
                if (r.Left > 0)
                {
                    Self.Tell(new Rally(r.Left - 1));
                }
            });
            Receive<string>(s => seen.Add((Context.Step, Context.Now.Value, s)));
        }
    }

    /// <summary>Ticks every 5 ticks from tick 5 and stops after three; a timer for tick 7 is cancelled at once.</summary>
    private sealed class Metronome : ReceiveActor
    {
        public Metronome(IActorRef probe)
        {
            ICancelable ticking = Context.ScheduleTellRepeatedly(5, 5, Self, "tick");
            Context.ScheduleTellOnce(7, Self, "cancelled").Cancel();
            int ticks = 0;
            Receive<string>(s =>
            {
                probe.Tell($"{s}@{Context.Now}");
                if (++ticks == 3)
                {
                    ticking.Cancel();
                }
            });
        }
    }

    /// <summary>Arms a 1000-tick watchdog per request and cancels it when the request is done.</summary>
    private sealed class Watchdog : ReceiveActor
    {
        public Watchdog() => Receive<int>(_ => Context.ScheduleTellOnce(1000, Self, "timeout").Cancel());
    }
}

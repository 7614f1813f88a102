using ShadowPt.Criu;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Tests.Criu;

public sealed class NetworkLinkTests
{
    [Fact]
    public void Messages_wait_for_the_ones_before_them_then_travel_for_the_latency_and_arrive_in_order()
    {
        using ActorSystem system = ActorSystem.CreateDeterministic("link", new RandomStrategy(3), new RuntimeLimits());
        var arrivals = new List<(string What, long Tick)>();
        IActorRef sink = system.ActorOf(Props.Create(() => new Sink(arrivals)), "sink");
        IActorRef link = system.ActorOf(Props.Create(() => new NetworkLink(8, 2)), "link");
        IActorRef sender = system.ActorOf(Props.Create(() => new Sender(link, sink)), "sender");
        sender.Tell("go", null);
        Assert.Equal(RunOutcome.Quiescent, system.Run());

        // 8 pages: 1 tick to send + 2 on the wire; the 0-page message after it leaves at tick 1 too;
        // 17 pages: 3 ticks after the first (ceil(17/8)), so it leaves at tick 4 and arrives at 6; then at tick 10, 1 page: 11 + 2.
        Assert.Equal([("a", 3L), ("b", 3L), ("c", 6L), ("d", 13L)], arrivals);
    }

    private sealed class Sender : ReceiveActor
    {
        public Sender(IActorRef link, IActorRef sink)
        {
            ReceiveAsync<string>(async _ =>
            {
                link.Tell(new LinkSend("a", 8, sink), Self);
                link.Tell(new LinkSend("b", 0, sink), Self);
                link.Tell(new LinkSend("c", 17, sink), Self);
                await Context.Delay(10);
                link.Tell(new LinkSend("d", 1, sink), Self);
            });
        }
    }

    private sealed class Sink : ReceiveActor
    {
        public Sink(List<(string What, long Tick)> arrivals) => Receive<string>(s => arrivals.Add((s, Context.Now.Value)));
    }
}

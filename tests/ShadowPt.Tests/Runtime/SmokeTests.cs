using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Async;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Tests.Runtime;

public sealed class SmokeTests
{
    private sealed record Ping(int N);

    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<Ping>(p => Sender.Tell(new Ping(p.N + 1)));
    }

    private sealed class Asker : ReceiveActor
    {
        public static readonly List<int> Seen = new();

        public Asker(IActorRef echo)
        {
            ReceiveAsync<string>(async _ =>
            {
                Ping a = await Context.Ask<Ping>(echo, new Ping(1));
                await Context.Yield();
                Ping b = await Context.Ask<Ping>(echo, new Ping(a.N));
                await Context.Delay(5);
                Seen.Add(b.N);
                Seen.Add((int)Context.Now.Value);
            });
        }
    }

    [Fact]
    public void AsyncHandlerRunsSequentiallyAcrossAsks()
    {
        using var system = ActorSystem.CreateDeterministic("t", new RandomStrategy(1));
        IActorRef echo = system.ActorOf(Props.Create<Echo>(), "echo");
        IActorRef asker = system.ActorOf(Props.Create(() => new Asker(echo)), "asker");
        asker.Tell("go");
        Assert.Equal(RunOutcome.Quiescent, system.Run());
        Assert.Null(system.Violation);
        Assert.Equal(new[] { 3, 5 }, Asker.Seen);
    }
}

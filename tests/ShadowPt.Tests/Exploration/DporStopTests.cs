using ShadowPt.Exploration;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Scenarios;

namespace ShadowPt.Tests.Exploration;

/// <summary>Reduction stays sound across "global" steps: stops, death watch, actors created mid-run.</summary>
public sealed class DporStopTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void StopsRacingWithMessagesReachTheSameEndStatesWithAndWithoutReduction(int notes)
    {
        var dpor = new HashSet<string>(StringComparer.Ordinal);
        var plain = new HashSet<string>(StringComparer.Ordinal);
        DfsResult reduced = DfsExplorer.Run(() => new StopRaceScenario(notes), new DfsOptions(), r => dpor.Add(string.Join('\n', r.Description)));
        DfsResult all = DfsExplorer.Run(() => new StopRaceScenario(notes), new DfsOptions { Reduction = false }, r => plain.Add(string.Join('\n', r.Description)));
        Assert.True(reduced.Exhaustive && all.Exhaustive, $"{reduced.Verdict} / {all.Verdict}");
        Assert.True(plain.Count > 1, "the stop must race with the notes");
        Assert.Equal(plain, dpor);
        Assert.True(reduced.Executions <= all.Executions);
    }

    /// <summary>
    /// A killer stops a victim while a sender sends it notes and an unrelated pair exchanges a ball;
    /// a watcher records the victim's death, a spawner creates a child that greets the victim.
    /// End state: how many messages the victim took, and whether the watcher saw it stop.
    /// </summary>
    private sealed class StopRaceScenario(int notes) : Scenario
    {
        private readonly int[] _taken = new int[3];

        public override string Name => "stop-race";

        public override string Summary => "a stop racing with messages";

        public override void Setup(ActorSystem system)
        {
            int[] taken = _taken;
            IActorRef victim = system.ActorOf(Props.Create(() => new Victim(taken)), "victim");
            IActorRef watcher = system.ActorOf(Props.Create(() => new Watcher(victim, taken)), "watcher");
            IActorRef killer = system.ActorOf(Props.Create(() => new Killer(victim)), "killer");
            IActorRef sender = system.ActorOf(Props.Create(() => new Sender(victim, notes)), "sender");
            IActorRef spawner = system.ActorOf(Props.Create(() => new Spawner(victim)), "spawner");
            IActorRef bystander = system.ActorOf(Props.Create(() => new Bystander(taken)), "bystander");
            watcher.Tell("watch", null);
            killer.Tell("go", null);
            sender.Tell("go", null);
            spawner.Tell("go", null);
            bystander.Tell("go", null);
        }

        public override IEnumerable<string> Describe(ActorSystem system) => [$"victim took {_taken[0]}, watcher saw {_taken[1]}, bystander {_taken[2]}"];

        private sealed class Victim : ReceiveActor
        {
            public Victim(int[] taken) => ReceiveAny(_ => taken[0]++);
        }

        private sealed class Watcher : ReceiveActor
        {
            public Watcher(IActorRef victim, int[] taken)
            {
                Receive<string>(_ => Context.Watch(victim));
                Receive<Terminated>(_ => taken[1]++);
            }
        }

        private sealed class Killer : ReceiveActor
        {
            public Killer(IActorRef victim) => Receive<string>(_ => Context.Stop(victim));
        }

        private sealed class Sender : ReceiveActor
        {
            public Sender(IActorRef victim, int notes) => Receive<string>(_ =>
            {
                for (int i = 0; i < notes; i++)
                {
                    victim.Tell(i, Self);
                }
            });
        }

        private sealed class Spawner : ReceiveActor
        {
            public Spawner(IActorRef victim) => Receive<string>(_ => Context.ActorOf(Props.Create(() => new Greeter(victim)), "child").Tell("hi", Self));
        }

        private sealed class Greeter : ReceiveActor
        {
            public Greeter(IActorRef victim) => Receive<string>(_ => victim.Tell(100, Self));
        }

        private sealed class Bystander : ReceiveActor
        {
            public Bystander(int[] taken) => Receive<string>(_ => taken[2]++);
        }
    }
}

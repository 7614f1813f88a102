using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Scenarios.BuiltIn;

/// <summary>Pairs of actors bounce a ball a fixed number of times; every pair runs concurrently.</summary>
public sealed class PingPongScenario(int pairs, int volleys) : Scenario
{
    /// <summary>Most pairs this scenario accepts.</summary>
    public const int PairsMax = 1024;

    /// <summary>Balls returned, counted by the players when the last volley lands.</summary>
    private readonly int[] _finished = new int[1];

    public override string Name => "pingpong";

    public override string Summary => $"{pairs} pairs of actors bounce a ball {volleys} times each; the smallest interleaving workload";

    public override void Setup(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pairs, PairsMax);
        int[] finished = _finished;
        for (int i = 0; i < pairs; i++)
        {
            IActorRef pong = system.ActorOf(Props.Create(() => new Player(finished)), $"pong{i}");
            IActorRef ping = system.ActorOf(Props.Create(() => new Player(finished)), $"ping{i}");
            pong.Tell(new Ball(volleys), ping);
        }
    }

    public override Violation? CheckEnd(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return _finished[0] == pairs
            ? null
            : new Violation("assertion", $"{_finished[0]} of {pairs} balls came to rest", system.Steps, system.Now);
    }

    public override IEnumerable<string> Describe(ActorSystem system)
    {
        yield return $"balls at rest: {_finished[0]} of {pairs}";
    }

    /// <summary>Returns the ball until no volleys are left.</summary>
    private sealed class Player : ReceiveActor
    {
        public Player(int[] finished)
        {
            Receive<Ball>(b =>
            {
                if (b.VolleysLeft == 0)
                {
                    finished[0]++;
                }
                else
                {
                    Sender.Tell(new Ball(b.VolleysLeft - 1));
                }
            });
        }
    }

    private sealed record Ball(int VolleysLeft) : ITraceable
    {
        public ulong TraceFingerprint => (ulong)VolleysLeft;
    }
}

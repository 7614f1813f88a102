using ShadowPt.Runtime.Actors;

namespace ShadowPt.Benchmarking;

/// <summary>
/// The message of the benchmarks. Preallocated and reused, as in Akka.NET's benchmarks, so that what
/// is measured is the runtime and not the workload's own allocations. Only its current holder touches
/// <see cref="HopsLeft"/>: the handoff through the runtime orders the writes.
/// </summary>
internal sealed class Ball(long hopsLeft)
{
    /// <summary>Deliveries still to make; the holder that takes it to zero ends the ball.</summary>
    public long HopsLeft { get; set; } = hopsLeft;
}

/// <summary>Returns every ball to its sender until the ball's hops run out.</summary>
internal sealed class PingPongActor : ReceiveActor
{
    public PingPongActor(Action? onBallDone)
    {
        Receive<Ball>(ball =>
        {
            if (--ball.HopsLeft > 0)
            {
                Sender.Tell(ball);
            }
            else
            {
                onBallDone?.Invoke();
            }
        });
    }
}

/// <summary>Sends one ball to every leaf, waits for every reply, and starts again.</summary>
internal sealed class FanOutHub : ReceiveActor
{
    public FanOutHub(IReadOnlyList<IActorRef> leaves, Ball ball)
    {
        int repliesPending = 0;
        Receive<StartRound>(_ => repliesPending = Broadcast(leaves, ball));
        Receive<Ball>(_ =>
        {
            if (--repliesPending == 0)
            {
                repliesPending = Broadcast(leaves, ball);
            }
        });
    }

    private static int Broadcast(IReadOnlyList<IActorRef> leaves, Ball ball)
    {
        for (int i = 0; i < leaves.Count; i++)
        {
            leaves[i].Tell(ball);
        }

        return leaves.Count;
    }
}

/// <summary>Replies to every message with the message itself.</summary>
internal sealed class EchoActor : ReceiveActor
{
    public EchoActor() => Receive<Ball>(ball => Sender.Tell(ball));
}

/// <summary>Starts the first round of a <see cref="FanOutHub"/>.</summary>
internal sealed class StartRound
{
    public static StartRound Instance { get; } = new();

    private StartRound()
    {
    }
}

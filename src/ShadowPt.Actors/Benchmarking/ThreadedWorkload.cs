using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;

namespace ShadowPt.Benchmarking;

/// <summary>
/// Many pairs of actors ping-ponging on the threaded scheduler, several balls in flight inside each
/// pair, every ball making a fixed number of hops: <see cref="Run"/> returns after exactly
/// <see cref="Deliveries"/> deliveries.
/// </summary>
public sealed class ThreadedWorkload : IDisposable
{
    /// <summary>Longest a run may take before it is reported as hung.</summary>
    public static readonly TimeSpan RunTimeMax = TimeSpan.FromMinutes(5);

    private readonly ActorSystem _system;
    private readonly IActorRef[] _pings;
    private readonly IActorRef[] _pongs;
    private readonly Ball[] _balls;
    private readonly CountdownEvent _ballsLeft;
    private readonly long _hopsPerBall;

    public ThreadedWorkload(int pairs, int ballsPerPair, long deliveries)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pairs, DeterministicWorkload.ActorsMax / 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ballsPerPair);
        int balls = checked(pairs * ballsPerPair);
        _hopsPerBall = deliveries / balls;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_hopsPerBall, nameof(deliveries));
        Deliveries = _hopsPerBall * balls;
        _system = ActorSystem.CreateThreaded("threaded-pairs");
        _ballsLeft = new CountdownEvent(balls);
        Action onBallDone = () => _ballsLeft.Signal();
        _pings = new IActorRef[pairs];
        _pongs = new IActorRef[pairs];
        for (int i = 0; i < pairs; i++)
        {
            _pings[i] = _system.ActorOf(Props.Create(() => new PingPongActor(onBallDone)), $"ping{i}");
            _pongs[i] = _system.ActorOf(Props.Create(() => new PingPongActor(onBallDone)), $"pong{i}");
        }

        _balls = new Ball[balls];
        for (int i = 0; i < balls; i++)
        {
            _balls[i] = new Ball(_hopsPerBall);
        }
    }

    /// <summary>Deliveries one <see cref="Run"/> makes.</summary>
    public long Deliveries { get; }

    /// <summary>Throws a bounce at every pair and waits until every ball has made its hops; once per workload.</summary>
    public void Run()
    {
        if (_ballsLeft.CurrentCount != _balls.Length)
        {
            throw new InvalidOperationException("a threaded workload runs once");
        }

        int ballsPerPair = _balls.Length / _pings.Length;
        for (int i = 0; i < _balls.Length; i++)
        {
            int pair = i / ballsPerPair;
            _pings[pair].Tell(_balls[i], _pongs[pair]);
        }

        if (!_ballsLeft.Wait(RunTimeMax))
        {
            throw new TimeoutException($"threaded benchmark did not finish within {RunTimeMax}: {_ballsLeft.CurrentCount} balls still bouncing");
        }

        if (_system.Violation is { } violation)
        {
            throw new InvalidOperationException($"threaded benchmark failed: {violation.Message}");
        }
    }

    public void Dispose()
    {
        _system.Dispose();
        _ballsLeft.Dispose();
    }
}

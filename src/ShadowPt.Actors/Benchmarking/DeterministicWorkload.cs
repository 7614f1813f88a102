using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Benchmarking;

/// <summary>
/// A deterministic actor system set up with one benchmark workload whose messages never run out:
/// <see cref="RunSteps"/> makes exactly the deliveries asked for. The random strategy chooses every step.
/// </summary>
public sealed class DeterministicWorkload : IDisposable
{
    /// <summary>Most actors a workload may create.</summary>
    public const int ActorsMax = 4096;

    private readonly ActorSystem _system;

    private DeterministicWorkload(string name, ulong seed, long stepsMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsMax);
        var limits = new RuntimeLimits { StepsMax = stepsMax, ChoicesMax = stepsMax };
        _system = ActorSystem.CreateDeterministic(name, new RandomStrategy(seed), limits);
        Name = name;
    }

    public string Name { get; }

    /// <summary>Deliveries made so far.</summary>
    public long Steps => _system.Steps;

    public ulong TraceHashValue => _system.TraceHashValue;

    /// <summary><paramref name="pairs"/> pairs of actors, one ball bouncing inside each pair.</summary>
    public static DeterministicWorkload PingPong(int pairs, ulong seed, long stepsMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pairs, ActorsMax / 2);
        var workload = new DeterministicWorkload(pairs == 1 ? "ping-pong" : $"pairs-{pairs}", seed, stepsMax);
        for (int i = 0; i < pairs; i++)
        {
            IActorRef ping = workload._system.ActorOf(Props.Create(() => new PingPongActor(null)), $"ping{i}");
            IActorRef pong = workload._system.ActorOf(Props.Create(() => new PingPongActor(null)), $"pong{i}");
            ping.Tell(new Ball(long.MaxValue), pong);
        }

        return workload;
    }

    /// <summary>One hub sends a ball to each of <paramref name="leaves"/> leaves and waits for every reply before the next round.</summary>
    public static DeterministicWorkload FanOut(int leaves, ulong seed, long stepsMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(leaves);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(leaves, ActorsMax - 1);
        var workload = new DeterministicWorkload($"fan-out-{leaves}", seed, stepsMax);
        var refs = new IActorRef[leaves];
        for (int i = 0; i < leaves; i++)
        {
            refs[i] = workload._system.ActorOf(Props.Create<EchoActor>(), $"leaf{i}");
        }

        IActorRef hub = workload._system.ActorOf(Props.Create(() => new FanOutHub(refs, new Ball(long.MaxValue))), "hub");
        hub.Tell(StartRound.Instance, null);
        return workload;
    }

    /// <summary>Makes exactly <paramref name="deliveries"/> deliveries; throws if the run stopped short or broke a bound.</summary>
    public void RunSteps(long deliveries)
    {
        RunOutcome outcome = _system.RunSteps(deliveries);
        if (outcome != RunOutcome.StepBudgetUsed || _system.Violation is not null)
        {
            throw new InvalidOperationException($"benchmark {Name} stopped with {outcome}: {_system.Violation?.Message ?? "nothing left to deliver"}");
        }
    }

    public void Dispose() => _system.Dispose();
}

using ShadowPt.Benchmarking;
using ShadowPt.Runtime;
using ShadowPt.Runtime.Actors;
using ShadowPt.Runtime.Strategies;

namespace ShadowPt.Tests.Benchmarking;

/// <summary>The benchmark workloads do what their figures claim; nothing here is timed.</summary>
public sealed class BenchWorkloadTests
{
    public static TheoryData<string> Workloads => new() { "ping-pong", "pairs-64", "fan-out-64" };

    [Theory]
    [MemberData(nameof(Workloads))]
    public void ADeterministicWorkloadMakesExactlyTheDeliveriesAskedAndReproduces(string name)
    {
        (long steps, ulong hash) first = RunWorkload(name, seed: 7);
        (long steps, ulong hash) second = RunWorkload(name, seed: 7);
        (long steps, ulong hash) other = RunWorkload(name, seed: 8);

        Assert.Equal(3_000, first.steps);
        Assert.Equal(first, second);
        if (name != "ping-pong")
        {
            // One pair has one delivery enabled at every step: the seed cannot change anything.
            Assert.NotEqual(first.hash, other.hash);
        }
    }

    [Fact]
    public void TheThreadedWorkloadDeliversEveryHop()
    {
        using var workload = new ThreadedWorkload(pairs: 4, ballsPerPair: 3, deliveries: 1_200);

        workload.Run();

        Assert.Equal(1_200, workload.Deliveries);
    }

    [Fact]
    public void QuickFiguresNameEveryWorkload()
    {
        var options = RuntimeBenchOptions.Quick with { DeterministicDeliveries = 2_000, WarmupDeliveries = 100, Repetitions = 1, WarmupTime = TimeSpan.Zero, ThreadedDeliveries = 2_048 };

        IReadOnlyList<BenchFigure> figures = RuntimeBenchmarks.Run(options, progress: null);

        Assert.Equal(
            ["det-ping-pong", "det-ping-pong-alloc", "det-pairs-64", "det-pairs-64-alloc", "det-fan-out-64", "det-fan-out-64-alloc", "thr-pairs", "thr-pairs-1-in-flight"],
            figures.Select(f => f.Name));
        Assert.Equal("det-ping-pong-alloc: 0 bytes/delivery", new BenchFigure("det-ping-pong-alloc", 0, "bytes/delivery").ToString());
        Assert.Equal("thr-pairs: 12345679 msg/s", new BenchFigure("thr-pairs", 12_345_678.6, "msg/s").ToString());
    }

    [Fact]
    public void ADisposedSystemNoLongerGivesItsSchedule()
    {
        var system = ActorSystem.CreateDeterministic("t", new RandomStrategy(1));
        system.ActorOf(Props.Create<Sink>(), "sink").Tell("hello");
        system.Run();
        Assert.Single(system.CaptureSchedule("t", null, 1).Choices);

        system.Dispose();

        Assert.Throws<ObjectDisposedException>(() => system.CaptureSchedule("t", null, 1));
        Assert.Throws<ObjectDisposedException>(() => system.Run());
    }

    private static (long Steps, ulong Hash) RunWorkload(string name, ulong seed)
    {
        using DeterministicWorkload workload = name switch
        {
            "ping-pong" => DeterministicWorkload.PingPong(1, seed, 3_000),
            "pairs-64" => DeterministicWorkload.PingPong(64, seed, 3_000),
            _ => DeterministicWorkload.FanOut(64, seed, 3_000),
        };
        workload.RunSteps(1_000);
        workload.RunSteps(2_000);
        return (workload.Steps, workload.TraceHashValue);
    }

    private sealed class Sink : ReceiveActor
    {
        public Sink() => ReceiveAny(_ => { });
    }
}

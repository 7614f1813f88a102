using BenchmarkDotNet.Attributes;
using ShadowPt.Benchmarking;

namespace ShadowPt.Benchmarks;

/// <summary>
/// Deterministic deliveries with the random strategy: one pair ping-ponging, 64 pairs, and fan-out
/// 1 to 64. Each iteration makes <see cref="Deliveries"/> deliveries in a system warmed up by
/// <see cref="WarmupDeliveries"/>; one operation is one delivery.
/// </summary>
[MemoryDiagnoser]
public class DeterministicBenchmarks
{
    public const int Deliveries = 4_000_000;

    public const int WarmupDeliveries = 100_000;

    private DeterministicWorkload? _workload;

    [IterationSetup(Target = nameof(PingPong))]
    public void SetupPingPong() => Warm(DeterministicWorkload.PingPong(1, 1, Deliveries + WarmupDeliveries));

    [IterationSetup(Target = nameof(Pairs64))]
    public void SetupPairs64() => Warm(DeterministicWorkload.PingPong(RuntimeBenchmarks.Width, 1, Deliveries + WarmupDeliveries));

    [IterationSetup(Target = nameof(FanOut64))]
    public void SetupFanOut64() => Warm(DeterministicWorkload.FanOut(RuntimeBenchmarks.Width, 1, Deliveries + WarmupDeliveries));

    [IterationCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Deliveries)]
    public void PingPong() => _workload!.RunSteps(Deliveries);

    [Benchmark(OperationsPerInvoke = Deliveries)]
    public void Pairs64() => _workload!.RunSteps(Deliveries);

    [Benchmark(OperationsPerInvoke = Deliveries)]
    public void FanOut64() => _workload!.RunSteps(Deliveries);

    private void Warm(DeterministicWorkload workload)
    {
        _workload = workload;
        workload.RunSteps(WarmupDeliveries);
    }
}

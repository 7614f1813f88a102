using BenchmarkDotNet.Attributes;
using ShadowPt.Benchmarking;

namespace ShadowPt.Benchmarks;

/// <summary>
/// 64 pairs ping-ponging on the threaded scheduler, 16 messages in flight inside each pair, on every
/// core; one operation is one delivery.
/// </summary>
[MemoryDiagnoser]
public class ThreadedBenchmarks
{
    public const int Deliveries = 4_194_304;

    private ThreadedWorkload? _workload;

    [IterationSetup]
    public void Setup() => _workload = new ThreadedWorkload(RuntimeBenchmarks.Width, 16, Deliveries);

    [IterationCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }

    [Benchmark(OperationsPerInvoke = Deliveries)]
    public void Pairs64() => _workload!.Run();
}

using BenchmarkDotNet.Attributes;
using ShadowPt.Benchmarking;

namespace ShadowPt.Benchmarks;

/// <summary>
/// The Linux model on the deterministic scheduler, one process on one CPU: TLB hits, page walks and
/// faults (a store to a fresh anonymous page). One operation is one simulated user access. Each
/// iteration gets a machine whose pages are already mapped (and, for hits and walks, faulted in).
/// </summary>
[MemoryDiagnoser]
public class ModelBenchmarkCases
{
    /// <summary>Pages mapped by the process; every one is faulted in by one <see cref="Fault"/> iteration.</summary>
    public const int Pages = 16_384;

    /// <summary>Pages looped over for hits: they fit the 64-entry TLB.</summary>
    public const int HitPages = 32;

    /// <summary>Pages looped over for walks: four times the pages the TLB holds.</summary>
    public const int WalkPages = 256;

    public const int HitAccesses = HitPages * 16_384;

    public const int WalkAccesses = WalkPages * 1_024;

    private ModelWorkload? _workload;

    [IterationSetup(Target = nameof(Fault))]
    public void SetupFault()
    {
        _workload = ModelWorkload.CreateDeterministic(new ModelShape(1, 1, Pages, 64), 1);
        _workload.Map();
    }

    [IterationSetup(Targets = [nameof(TlbHit), nameof(PageWalk)])]
    public void SetupTouched()
    {
        SetupFault();
        _workload!.Touch();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }

    [Benchmark(OperationsPerInvoke = HitAccesses)]
    public long TlbHit() => _workload!.Loop(HitPages, HitAccesses / HitPages);

    [Benchmark(OperationsPerInvoke = WalkAccesses)]
    public long PageWalk() => _workload!.Loop(WalkPages, WalkAccesses / WalkPages);

    [Benchmark(OperationsPerInvoke = Pages)]
    public long Fault() => _workload!.Touch();
}

/// <summary>
/// Cost per simulated access as the machine grows: one process per CPU (1 to 64 CPUs), and 1 to 1,000
/// processes on 4 CPUs. One operation is one access: a TLB hit for <see cref="Hit"/>, a fault for
/// <see cref="Fault"/>. Equal figures across a row mean linear scaling.
/// </summary>
[MemoryDiagnoser]
public class ModelScalingBenchmarkCases
{
    /// <summary>Faults per iteration, over all processes (divisible by every process count below).</summary>
    public const int Faults = 16_000;

    /// <summary>TLB hits per iteration, over all processes.</summary>
    public const int Hits = 256_000;

    /// <summary>Pages each process loops over for hits.</summary>
    public const int HitPages = 4;

    private ModelWorkload? _workload;

    [Params("cpus-1", "cpus-4", "cpus-16", "cpus-64", "procs-10", "procs-100", "procs-1000")]
    public string Machine { get; set; } = "cpus-1";

    private ModelShape Shape
    {
        get
        {
            string[] parts = Machine.Split('-');
            int count = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            (int cpus, int processes) = parts[0] == "cpus" ? (count, count) : (4, count);
            return new ModelShape(cpus, processes, Math.Max(Faults / processes, HitPages), 4_096);
        }
    }

    [IterationSetup(Target = nameof(Fault))]
    public void SetupFault()
    {
        _workload = ModelWorkload.CreateDeterministic(Shape, 1);
        _workload.Map();
    }

    [IterationSetup(Target = nameof(Hit))]
    public void SetupHit()
    {
        SetupFault();
        _workload!.Touch();
        _workload.Loop(HitPages, 1);
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }

    [Benchmark(OperationsPerInvoke = Hits)]
    public long Hit() => _workload!.Loop(HitPages, Hits / (HitPages * _workload.Shape.Processes));

    [Benchmark(OperationsPerInvoke = Faults)]
    public long Fault() => _workload!.Touch();
}

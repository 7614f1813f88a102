using ShadowPt.Benchmarking;
using ShadowPt.Kernel;

namespace ShadowPt.Tests.Benchmarking;

/// <summary>The model benchmark workloads do what their figures claim; nothing here is timed.</summary>
public sealed class ModelWorkloadTests
{
    [Fact]
    public void TouchFaultsEveryPageOnceAndLoopsMakeTheAccessesAsked()
    {
        using ModelWorkload workload = ModelWorkload.CreateDeterministic(new ModelShape(2, 3, 40, 64), seed: 5);
        workload.Map();

        Assert.Equal(120, workload.Touch());
        Assert.Equal(3 * 8 * 5, workload.Loop(8, 5));

        MmStruct[] mms = [.. workload.Machine.State.Mms];
        Assert.Equal(3, mms.Length);
        Assert.All(mms, mm => Assert.Equal(40, mm.MinFlt));
        Assert.All(mms, mm => Assert.Equal(40, mm.Pgd.MappedPteCount));
    }

    [Fact]
    public void AHitIsOneRoundTripToTheMemoryActorAndAFaultIsMore()
    {
        using ModelWorkload workload = ModelWorkload.CreateDeterministic(new ModelShape(1, 1, 16, 64), seed: 1);
        workload.Map();
        PhaseMeasurement fault = PhaseMeasurement.Measure(workload, w => w.Touch());
        PhaseMeasurement hit = PhaseMeasurement.Measure(workload, w => w.Loop(16, 4));

        // Request, memory op, its reply, result (the load itself is the one interleaving point), and the phase message.
        Assert.Equal((4 * 64) + 1, hit.Deliveries);
        Assert.True(fault.DeliveriesPerAccess > 10, $"{fault.DeliveriesPerAccess} deliveries per fault");
    }

    [Fact]
    public void TheSameSeedGivesTheSameRun()
    {
        Assert.Equal(Run(seed: 3), Run(seed: 3));
        Assert.NotEqual(Run(seed: 3), Run(seed: 4));
    }

    [Fact]
    public void TheThreadedWorkloadMakesEveryAccess()
    {
        using ModelWorkload workload = ModelWorkload.CreateThreaded(new ModelShape(2, 4, 20, 64));
        workload.Map();

        Assert.Equal(80, workload.Touch());
        Assert.Equal(4 * 10 * 3, workload.Loop(10, 3));
    }

    private static (long Steps, ulong Hash) Run(ulong seed)
    {
        using ModelWorkload workload = ModelWorkload.CreateDeterministic(new ModelShape(2, 4, 10, 64), seed);
        workload.Map();
        workload.Touch();
        workload.Loop(5, 2);
        return (workload.Steps, workload.TraceHashValue);
    }
}

/// <summary>Measures retained heap bytes (the quick figures do too), so these run alone: other tests allocating meanwhile would blur the figure.</summary>
[CollectionDefinition(nameof(FootprintMeasurementTests), DisableParallelization = true)]
[Collection(nameof(FootprintMeasurementTests))]
public sealed class FootprintMeasurementTests
{
    [Fact]
    public void TheFootprintCountsTheKernelStateNotThePageContents()
    {
        (double bytesPerPage, MemoryFootprint estimate, long contents) = ModelBenchmarks.MeasureFootprint(4_096, seed: 1);

        Assert.Equal(4_096, estimate.MappedPages);
        // One store per page: one 256-byte piece of contents each, well under a whole page.
        Assert.InRange(contents, 4_096L * (24 + PageContents.PieceBytes), 4_096L * ModelBenchmarks.PageContentsBytes);
        Assert.InRange(bytesPerPage, estimate.BytesPerMappedPage * 0.8, estimate.BytesPerMappedPage * 2);
    }

    [Fact]
    public void QuickFiguresNameEveryWorkload()
    {
        // 4,096 footprint pages as in the test above: at 256 pages the retained bytes (tens of KiB, now that
        // the model stores only what a run touches) drowned in stray allocations and once measured -252 bytes/page.
        var options = ModelBenchOptions.Quick with
        {
            FaultPages = 128, HitAccesses = 256, WalkPages = 100, WalkAccesses = 200, TlbEntries = 64, FootprintPages = 4_096,
            ScalingCpus = [1, 2], ScalingProcesses = [1, 3], ScalingFaults = 12, ScalingHits = 48,
            ThreadedFaults = 64, ThreadedHits = 256, Repetitions = 1, WarmupTime = TimeSpan.Zero, CheckerRuns = 2,
        };

        IReadOnlyList<BenchFigure> figures = ModelBenchmarks.Run(options, progress: null);

        Assert.Equal(
            [
                "model-hit", "model-hit-alloc", "model-hit-deliveries", "model-walk", "model-walk-alloc", "model-walk-deliveries",
                "model-fault", "model-fault-alloc", "model-fault-deliveries", "model-bytes-per-page",
                "model-cpus-1-fault", "model-cpus-1-hit", "model-cpus-2-fault", "model-cpus-2-hit",
                "model-procs-1-fault", "model-procs-1-hit", "model-procs-3-fault", "model-procs-3-hit",
                "model-thr-hit", "model-thr-fault",
                "model-checks-none", "model-checks-all", "model-checks-overhead",
            ],
            figures.Select(f => f.Name));
        Assert.All(figures, f => Assert.True(f.Value > 0, f.ToString()));
    }
}

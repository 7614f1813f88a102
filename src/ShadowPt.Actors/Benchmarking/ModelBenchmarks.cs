using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using ShadowPt.Kernel;

namespace ShadowPt.Benchmarking;

/// <summary>
/// The Linux model's figures, shared by <c>shadowpt bench model</c> and the BenchmarkDotNet project:
/// simulated user accesses per second on the deterministic scheduler (TLB hits, page walks, faults),
/// simulator bytes per mapped page, the cost per access from 1 to 64 CPUs and from 1 to 1,000
/// processes, and accesses per second on the threaded scheduler. Wall-clock figures are noisy;
/// nothing here decides a test.
/// </summary>
public static class ModelBenchmarks
{
    /// <summary>Bytes of a whole page of contents: the 4 KiB and an array header (a page written all over holds a little more, in pieces).</summary>
    public const int PageContentsBytes = PageGeometry.PageSizeBytes + 24;

    /// <summary>Runs every workload and returns one figure per line of <c>shadowpt bench model</c>.</summary>
    public static IReadOnlyList<BenchFigure> Run(ModelBenchOptions options, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var figures = new List<BenchFigure>();
        progress?.Invoke($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {options.Repetitions} repetitions, best reported");
        SingleProcess(figures, options, progress);
        Footprint(figures, options, progress);
        foreach (int cpus in options.ScalingCpus)
        {
            Scaling(figures, $"model-cpus-{cpus}", new ModelShape(cpus, cpus, ScalingPages(options, cpus), options.ScalingTlbEntries), options, progress);
        }

        foreach (int processes in options.ScalingProcesses)
        {
            var shape = new ModelShape(options.ProcessScalingCpus, processes, ScalingPages(options, processes), options.ScalingTlbEntries);
            Scaling(figures, $"model-procs-{processes}", shape, options, progress);
        }

        Threaded(figures, options, progress);
        CheckerOverhead.Run(figures, options, progress);
        return figures;
    }

    /// <summary>
    /// One process on one CPU: maps <see cref="ModelBenchOptions.FaultPages"/> pages, faults each in with
    /// a store, loops loads over a few pages (TLB hits), then over many (a page walk each).
    /// </summary>
    public static (PhaseMeasurement Fault, PhaseMeasurement Hit, PhaseMeasurement Walk) SingleProcessRun(ModelBenchOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        using ModelWorkload workload = ModelWorkload.CreateDeterministic(new ModelShape(1, 1, options.FaultPages, options.TlbEntries), seed);
        workload.Map();
        PhaseMeasurement fault = PhaseMeasurement.Measure(workload, w => w.Touch());
        workload.Loop(options.HitPages, 1);
        PhaseMeasurement hit = PhaseMeasurement.Measure(workload, w => w.Loop(options.HitPages, Passes(options.HitAccesses, options.HitPages)));
        workload.Loop(options.WalkPages, 1);
        PhaseMeasurement walk = PhaseMeasurement.Measure(workload, w => w.Loop(options.WalkPages, Passes(options.WalkAccesses, options.WalkPages)));
        return (fault, hit, walk);
    }

    /// <summary>
    /// Maps and touches (one store each) <paramref name="pages"/> pages in one process, then measures what
    /// the kernel state retains once the actor system is gone, page contents excluded.
    /// </summary>
    /// <returns>Retained bytes per mapped page, the model's own estimate, and the bytes of page contents left out.</returns>
    public static (double BytesPerPage, MemoryFootprint Estimate, long ContentsBytes) MeasureFootprint(int pages, ulong seed)
    {
        var holder = new KernelState?[1];
        MemoryFootprint estimate = BuildTouched(holder, pages, seed);
        long with = GC.GetTotalMemory(forceFullCollection: true);
        long contents = holder[0]!.Frames.ContentsBytes;
        holder[0] = null;
        long without = GC.GetTotalMemory(forceFullCollection: true);
        return ((double)(with - without - contents) / pages, estimate, contents);
    }

    private static int Passes(int accesses, int pages) => Math.Max(1, accesses / pages);

    private static int ScalingPages(ModelBenchOptions options, int processes) =>
        Math.Max(options.ScalingFaults / processes, options.ScalingHitPages);

    /// <summary>Boots, maps and touches; leaves only the kernel state reachable (in <paramref name="holder"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MemoryFootprint BuildTouched(KernelState?[] holder, int pages, ulong seed)
    {
        using ModelWorkload workload = ModelWorkload.CreateDeterministic(new ModelShape(1, 1, pages, 64), seed);
        workload.Map();
        workload.Touch();
        KernelState state = workload.Machine.State;
        holder[0] = state;
        return MemoryFootprint.Measure(state.Frames, [.. state.Mms]);
    }

    private static void SingleProcess(List<BenchFigure> figures, ModelBenchOptions options, Action<string>? progress)
    {
        WarmUp(options, () => SingleProcessRun(options, options.Seed));
        var runs = new List<(PhaseMeasurement Fault, PhaseMeasurement Hit, PhaseMeasurement Walk)>();
        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            runs.Add(SingleProcessRun(options, options.Seed));
        }

        AddRate(figures, "model-hit", [.. runs.Select(r => r.Hit)], progress);
        AddRate(figures, "model-walk", [.. runs.Select(r => r.Walk)], progress);
        AddRate(figures, "model-fault", [.. runs.Select(r => r.Fault)], progress);
    }

    private static void AddRate(List<BenchFigure> figures, string name, PhaseMeasurement[] runs, Action<string>? progress)
    {
        double best = runs.Max(r => r.AccessesPerSecond);
        PhaseMeasurement last = runs[^1];
        progress?.Invoke(string.Create(
            CultureInfo.InvariantCulture,
            $"{name}: {Describe(runs.Select(r => r.AccessesPerSecond))} accesses/s ({Describe(runs.Select(r => r.AccessesPerCpuSecond))} per cpu-second) over {last.Accesses} accesses; {last.DeliveriesPerAccess:F2} deliveries and {last.BytesPerAccess:F0} bytes allocated per access"));
        figures.Add(new BenchFigure(name, best, "accesses/s"));
        figures.Add(new BenchFigure(name + "-alloc", runs.Min(r => r.BytesPerAccess), "bytes/access"));
        figures.Add(new BenchFigure(name + "-deliveries", last.DeliveriesPerAccess, "deliveries/access"));
    }

    private static void Footprint(List<BenchFigure> figures, ModelBenchOptions options, Action<string>? progress)
    {
        (double bytesPerPage, MemoryFootprint estimate, long contents) = MeasureFootprint(options.FootprintPages, options.Seed);
        progress?.Invoke(string.Create(
            CultureInfo.InvariantCulture,
            $"model-bytes-per-page: {bytesPerPage:F1} bytes retained per mapped page over {options.FootprintPages} pages ({contents} bytes of page contents left out); the model's estimate: {estimate}"));
        figures.Add(new BenchFigure("model-bytes-per-page", bytesPerPage, "bytes/page"));
    }

    private static void Scaling(List<BenchFigure> figures, string name, ModelShape shape, ModelBenchOptions options, Action<string>? progress)
    {
        var faults = new List<PhaseMeasurement>();
        var hits = new List<PhaseMeasurement>();
        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            using ModelWorkload workload = ModelWorkload.CreateDeterministic(shape, options.Seed);
            workload.Map();
            faults.Add(PhaseMeasurement.Measure(workload, w => w.Touch()));
            int pages = Math.Min(options.ScalingHitPages, shape.PagesPerProcess);
            workload.Loop(pages, 1);
            hits.Add(PhaseMeasurement.Measure(workload, w => w.Loop(pages, Passes(options.ScalingHits / shape.Processes, pages))));
        }

        AddCost(figures, name + "-fault", shape, faults, progress);
        AddCost(figures, name + "-hit", shape, hits, progress);
    }

    private static void AddCost(List<BenchFigure> figures, string name, ModelShape shape, List<PhaseMeasurement> runs, Action<string>? progress)
    {
        double best = runs.Min(r => r.NanosecondsPerAccess);
        PhaseMeasurement last = runs[^1];
        progress?.Invoke(string.Create(
            CultureInfo.InvariantCulture,
            $"{name} ({shape}): best {best:F0} ns/access (all {string.Join(", ", runs.Select(r => r.NanosecondsPerAccess.ToString("F0", CultureInfo.InvariantCulture)))}) over {last.Accesses} accesses; {last.DeliveriesPerAccess:F2} deliveries, {last.Elapsed.TotalNanoseconds / last.Deliveries:F0} ns per delivery"));
        figures.Add(new BenchFigure(name, best, "ns/access"));
    }

    private static void Threaded(List<BenchFigure> figures, ModelBenchOptions options, Action<string>? progress)
    {
        var shape = new ModelShape(options.ThreadedCpus, options.ThreadedCpus, Math.Max(options.ThreadedFaults / options.ThreadedCpus, options.HitPages), options.TlbEntries);
        var faults = new List<PhaseMeasurement>();
        var hits = new List<PhaseMeasurement>();
        WarmUp(options, () => ThreadedRun(shape, options));
        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            (PhaseMeasurement fault, PhaseMeasurement hit) = ThreadedRun(shape, options);
            faults.Add(fault);
            hits.Add(hit);
        }

        foreach ((string name, List<PhaseMeasurement> runs) in (ReadOnlySpan<(string, List<PhaseMeasurement>)>)[("model-thr-hit", hits), ("model-thr-fault", faults)])
        {
            progress?.Invoke(string.Create(
                CultureInfo.InvariantCulture,
                $"{name} ({shape}): {Describe(runs.Select(r => r.AccessesPerSecond))} accesses/s over {runs[^1].Accesses} accesses on {Environment.ProcessorCount} cores"));
            figures.Add(new BenchFigure(name, runs.Max(r => r.AccessesPerSecond), "accesses/s"));
        }
    }

    private static (PhaseMeasurement Fault, PhaseMeasurement Hit) ThreadedRun(ModelShape shape, ModelBenchOptions options)
    {
        using ModelWorkload workload = ModelWorkload.CreateThreaded(shape);
        workload.Map();
        PhaseMeasurement fault = PhaseMeasurement.Measure(workload, w => w.Touch());
        int pages = Math.Min(options.HitPages, shape.PagesPerProcess);
        workload.Loop(pages, 1);
        PhaseMeasurement hit = PhaseMeasurement.Measure(workload, w => w.Loop(pages, Passes(options.ThreadedHits / shape.Processes, pages)));
        return (fault, hit);
    }

    /// <summary>Runs <paramref name="repetition"/> at least once and until the warm-up time has passed.</summary>
    private static void WarmUp(ModelBenchOptions options, Action repetition)
    {
        long start = Stopwatch.GetTimestamp();
        int count = 0;
        do
        {
            repetition();
        }
        while (++count < RuntimeBenchmarks.WarmupRepetitionsMax && Stopwatch.GetElapsedTime(start) < options.WarmupTime);
    }

    /// <summary>"best (all ...)" in thousands, for progress lines.</summary>
    private static string Describe(IEnumerable<double> rates)
    {
        double[] all = [.. rates];
        return string.Create(CultureInfo.InvariantCulture, $"best {all.Max() / 1e3:F1}k (all {string.Join(", ", all.Select(r => (r / 1e3).ToString("F1", CultureInfo.InvariantCulture)))} k)");
    }
}

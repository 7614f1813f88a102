using System.Diagnostics;
using System.Globalization;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;

namespace ShadowPt.Benchmarking;

/// <summary>What <c>shadowpt bench explore</c> measures.</summary>
public sealed record ExploreBenchOptions
{
    /// <summary>Most schedules one phase may run.</summary>
    public const long SchedulesMax = 10_000_000;

    /// <summary>The exploration strategy (portfolio, random, pct or delay-bounding).</summary>
    public string Strategy { get; init; } = "portfolio";

    /// <summary>Schedules of the first phase: a fresh process, JIT warm-up included, one worker.</summary>
    public long ColdSchedules { get; init; } = 3_000;

    /// <summary>Schedules of each warm phase, per worker.</summary>
    public long Schedules { get; init; } = 10_000;

    /// <summary>Workers of the all-cores phase.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>The defaults with a tenth of the schedules: a few seconds.</summary>
    public static ExploreBenchOptions Quick { get; } = new() { ColdSchedules = 300, Schedules = 1_000 };
}

/// <summary>One phase of <see cref="ExploreBenchmarks"/>: schedules, workers, wall and CPU time, allocation and collections.</summary>
public sealed record ExplorePhase(string Name, int Workers, long Schedules, double WallSeconds, double CpuSeconds, long AllocatedBytes, int Gen0, int Gen1, int Gen2)
{
    /// <summary>The kind of the violation that ended the phase early (explore stops at the first), or null.</summary>
    public string? Violation { get; init; }

    /// <summary>Time the garbage collector paused the process during the phase.</summary>
    public double GcPauseSeconds { get; init; }

    /// <summary>Schedules per wall-clock second, all workers together.</summary>
    public double PerSecond => Schedules / WallSeconds;

    /// <summary>Schedules per wall-clock second divided by the workers: the rate of one core.</summary>
    public double PerCore => PerSecond / Workers;

    /// <summary>Schedules per CPU-second of the whole process (JIT and GC threads included).</summary>
    public double PerCpuSecond => Schedules / CpuSeconds;

    public double KibPerSchedule => AllocatedBytes / 1024.0 / Schedules;
}

/// <summary>
/// Schedules per second of <c>shadowpt explore</c> on one scenario, in three phases of one process:
/// cold (the first schedules a fresh process runs, one worker: what a short exploration pays for
/// tiered JIT compilation), warm on one worker (per core), and warm on every worker (all cores; skipped
/// for one worker).
/// Each phase is an ordinary <see cref="Explorer.Run"/> with its own campaign seed, coverage on, as
/// <c>shadowpt explore</c> runs it; time is wall clock and the process's CPU time.
/// </summary>
public static class ExploreBenchmarks
{
    public static IReadOnlyList<ExplorePhase> Run(Func<Scenario> scenarioFactory, ExploreBenchOptions options, Action<string>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ColdSchedules);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ColdSchedules, ExploreBenchOptions.SchedulesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Schedules);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Schedules, ExploreBenchOptions.SchedulesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Workers);
        var phases = new List<ExplorePhase>();
        var plan = new List<(string Name, int Workers, long Schedules)>
        {
            ("cold-1-worker", 1, options.ColdSchedules),
            ("warm-1-worker", 1, options.Schedules),
        };
        if (options.Workers > 1)
        {
            plan.Add((string.Create(CultureInfo.InvariantCulture, $"warm-{options.Workers}-workers"), options.Workers, options.Schedules * options.Workers));
        }

        ulong seed = 1;
        foreach ((string name, int workers, long schedules) in plan)
        {
            if (cancel.IsCancellationRequested)
            {
                break;
            }

            ExplorePhase phase = Measure(name, scenarioFactory, new ExploreOptions { Strategy = options.Strategy, Schedules = schedules, Workers = workers, Seed = seed++ }, cancel);
            phases.Add(phase);
            progress?.Invoke(string.Create(
                CultureInfo.InvariantCulture,
                $"bench explore: {name}: {phase.Schedules} schedules in {phase.WallSeconds:0.00} s wall, {phase.CpuSeconds:0.00} CPU-s: {phase.PerSecond:0} schedules/s ({phase.PerCore:0} per core, {phase.PerCpuSecond:0} per CPU-s), {phase.KibPerSchedule:0} KiB/schedule, GCs {phase.Gen0}/{phase.Gen1}/{phase.Gen2}{(phase.Violation is null ? "" : ", stopped at a violation: " + phase.Violation)}"));
        }

        return phases;
    }

    /// <summary>The figures of the phases, one <c>name: value unit</c> line each.</summary>
    public static IEnumerable<BenchFigure> Figures(IReadOnlyList<ExplorePhase> phases)
    {
        ArgumentNullException.ThrowIfNull(phases);
        foreach (ExplorePhase p in phases)
        {
            yield return new BenchFigure($"explore-{p.Name}", p.PerSecond, "schedules/s");
            if (p.Workers > 1)
            {
                yield return new BenchFigure($"explore-{p.Name}-per-core", p.PerCore, "schedules/s");
            }

            yield return new BenchFigure($"explore-{p.Name}-cpu", p.PerCpuSecond, "schedules/CPU-s");
            yield return new BenchFigure($"explore-{p.Name}-alloc", p.KibPerSchedule, "KiB/schedule");
        }
    }

    /// <summary>One exploration as a measured phase: wall and process CPU time, bytes allocated, collections and GC pause around it.</summary>
    public static ExplorePhase Measure(string name, Func<Scenario> scenarioFactory, ExploreOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var process = Process.GetCurrentProcess();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        TimeSpan pause = GC.GetTotalPauseDuration();
        TimeSpan cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        ExploreResult result = Explorer.Run(scenarioFactory, options, cancel: cancel);
        wall.Stop();
        process.Refresh();
        return new ExplorePhase(
            name,
            options.Workers,
            Math.Max(1, result.Explored),
            Math.Max(wall.Elapsed.TotalSeconds, 1e-6),
            Math.Max((process.TotalProcessorTime - cpu).TotalSeconds, 1e-6),
            GC.GetTotalAllocatedBytes(precise: true) - allocated,
            GC.CollectionCount(0) - gen0,
            GC.CollectionCount(1) - gen1,
            GC.CollectionCount(2) - gen2)
        {
            Violation = result.FirstViolation?.Violation?.Kind,
            GcPauseSeconds = (GC.GetTotalPauseDuration() - pause).TotalSeconds,
        };
    }
}

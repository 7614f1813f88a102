using ShadowPt.Runtime;
using ShadowPt.Scenarios;

namespace ShadowPt.Exploration;

/// <summary>What an exploration is asked to do.</summary>
public sealed record ExploreOptions
{
    /// <summary>Most schedules one exploration may run.</summary>
    public const long SchedulesMax = 100_000_000;

    /// <summary>Strategies explore accepts: random, pct, delay-bounding, or portfolio (random, PCT at depths 2, 3 and 5, and delay bounding with 2 delays, in turn); dfs runs <see cref="DfsExplorer"/> instead.</summary>
    public static readonly IReadOnlyList<string> StrategyNames = ["portfolio", "random", "pct", "delay-bounding", "dfs"];

    public string Strategy { get; init; } = "portfolio";

    public long Schedules { get; init; } = 1000;

    /// <summary>Wall-clock budget; the schedules explored in it are still a prefix of the same sequence.</summary>
    public TimeSpan? TimeMax { get; init; }

    /// <summary>The campaign seed: schedule i runs with seed Derive(seed, i), whatever the number of workers.</summary>
    public ulong Seed { get; init; } = 1;

    public int Workers { get; init; } = 1;

    public IReadOnlySet<string>? Checks { get; init; }

    public long? StepsMax { get; init; }
}

/// <summary>The outcome of an exploration: how many schedules ran, and the first violating one (lowest index), if any.</summary>
public sealed record ExploreResult(long Explored, TimeSpan Elapsed, RunReport? FirstViolation, long FirstViolationIndex, IReadOnlyDictionary<string, long> DistinctTraces);

/// <summary>
/// Runs many schedules of a scenario, each a pure function of (scenario, strategy, derived seed),
/// in parallel batches, and stops at the first violation. Which violation is "first" does not depend
/// on the number of workers: it is the one with the lowest schedule index.
/// </summary>
public static class Explorer
{
    /// <summary>Schedules handed to the workers at a time.</summary>
    public const int BatchSize = 64;

    public static ExploreResult Run(Func<Scenario> scenarioFactory, ExploreOptions options, Action<long, TimeSpan>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Schedules);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Schedules, ExploreOptions.SchedulesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Workers);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long estimate = Math.Max(1, ScenarioRunner.Run(scenarioFactory, new RunOptions { Seed = options.Seed, Strategy = "random", Checks = options.Checks, StepsMax = options.StepsMax }).Steps);
        var traces = new Dictionary<string, long>(StringComparer.Ordinal);
        long explored = 0;
        while (explored < options.Schedules && !cancel.IsCancellationRequested && (options.TimeMax is null || clock.Elapsed < options.TimeMax))
        {
            int count = (int)Math.Min(BatchSize, options.Schedules - explored);
            var reports = new RunReport[count];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = options.Workers }, i =>
                reports[i] = RunOne(scenarioFactory, options, explored + i, estimate));
            for (int i = 0; i < count; i++)
            {
                traces[reports[i].TraceHash] = traces.GetValueOrDefault(reports[i].TraceHash) + 1;
                if (reports[i].Violation is not null)
                {
                    return new ExploreResult(explored + i + 1, clock.Elapsed, reports[i], explored + i, traces);
                }
            }

            explored += count;
            progress?.Invoke(explored, clock.Elapsed);
        }

        return new ExploreResult(explored, clock.Elapsed, null, -1, traces);
    }

    /// <summary>Schedule <paramref name="index"/>: its strategy (for the portfolio) and seed derive from the index alone.</summary>
    public static RunOptions OptionsFor(ExploreOptions options, long index, long stepsEstimate)
    {
        ArgumentNullException.ThrowIfNull(options);
        ulong seed = Prng.Derive(options.Seed, (ulong)index);
        (string strategy, int depth) = options.Strategy switch
        {
            "portfolio" => (index % 5) switch
            {
                0 => ("random", 3),
                1 => ("pct", 2),
                2 => ("pct", 3),
                3 => ("pct", 5),
                _ => ("delay-bounding", 2),
            },
            "pct" => ("pct", 3),
            "delay-bounding" => ("delay-bounding", 2),
            _ => ("random", 3),
        };
        return new RunOptions { Seed = seed, Strategy = strategy, PctDepth = depth, Delays = depth, PctStepsEstimate = stepsEstimate, Checks = options.Checks, StepsMax = options.StepsMax };
    }

    private static RunReport RunOne(Func<Scenario> scenarioFactory, ExploreOptions options, long index, long estimate) =>
        ScenarioRunner.Run(scenarioFactory, OptionsFor(options, index, estimate));
}

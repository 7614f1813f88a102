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

    /// <summary>Measure coverage (abstract states, orderings); off only to measure what it costs.</summary>
    public bool Coverage { get; init; } = true;
}

/// <summary>The outcome of an exploration: how many schedules ran, and the first violating one (lowest index), if any.</summary>
public sealed record ExploreResult(long Explored, TimeSpan Elapsed, RunReport? FirstViolation, long FirstViolationIndex, IReadOnlyDictionary<string, long> DistinctTraces)
{
    /// <summary>Distinct abstract states and orderings reached, when the explorer measured them.</summary>
    public CoverageSet? Coverage { get; init; }

    /// <summary>Batches a campaign found finished on disk and did not run again.</summary>
    public int Resumed { get; init; }
}

/// <summary>
/// Runs many schedules of a scenario, each a pure function of (scenario, strategy, derived seed),
/// in parallel batches, and stops at the first violation. Which violation is "first" does not depend
/// on the number of workers: it is the one with the lowest schedule index.
/// </summary>
public static class Explorer
{
    /// <summary>Schedules handed to the workers at a time.</summary>
    public const int BatchSize = 64;

    /// <summary>Explores without a campaign directory: nothing is kept on disk.</summary>
    public static ExploreResult Run(Func<Scenario> scenarioFactory, ExploreOptions options, Action<long, TimeSpan>? progress = null, CancellationToken cancel = default) =>
        CampaignRunner.Run(scenarioFactory, options, null, Shard.Whole, progress is null ? null : p => progress(p.Done, p.Elapsed), cancel);

    /// <summary>
    /// Runs batch <paramref name="batch"/> (schedules [batch·BatchSize, …) up to the budget) on the workers
    /// and folds the results in index order, stopping at the batch's first violation.
    /// </summary>
    public static BatchOutcome RunBatch(Func<Scenario> scenarioFactory, ExploreOptions options, long batch, long stepsEstimate)
    {
        ArgumentNullException.ThrowIfNull(options);
        long first = batch * BatchSize;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(first, options.Schedules);
        int count = (int)Math.Min(BatchSize, options.Schedules - first);
        var reports = new RunReport[count];
        var coverage = new RunCoverage[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = options.Workers }, i =>
        {
            var c = new RunCoverage();
            RunOptions run = OptionsFor(options, first + i, stepsEstimate);
            reports[i] = ScenarioRunner.Run(scenarioFactory, options.Coverage ? run with { AfterSetup = c.Attach } : run);
            if (options.Coverage)
            {
                c.Finish(reports[i]);
            }

            coverage[i] = c;
        });
        int ran = count;
        for (int i = 0; i < count; i++)
        {
            if (reports[i].Violation is not null)
            {
                ran = i + 1;
                break;
            }
        }

        RunReport? violation = reports[ran - 1].Violation is not null ? reports[ran - 1] : null;
        return new BatchOutcome(
            batch,
            first,
            ran,
            [.. reports.Take(ran).Select(r => r.TraceHash)],
            [.. coverage.Take(ran).SelectMany(c => c.States)],
            [.. coverage.Take(ran).SelectMany(c => c.Orderings)],
            violation,
            violation is null ? -1 : first + ran - 1);
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
}

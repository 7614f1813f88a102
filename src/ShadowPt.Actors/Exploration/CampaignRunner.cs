using ShadowPt.Scenarios;

namespace ShadowPt.Exploration;

/// <summary>Which part of a campaign's batches one process runs: batch b belongs to shard b mod Count.</summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>Most shards a campaign may be split into.</summary>
    public const int CountMax = 65_536;

    public static Shard Whole => new(0, 1);

    public bool Owns(long batch) => batch % Count == Index;

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Parses "i/N" with 0 &lt;= i &lt; N &lt;= <see cref="CountMax"/>; null when malformed.</summary>
    public static Shard? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split('/');
        return parts.Length == 2
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            && n >= 1 && n <= CountMax && i < n
            ? new Shard(i, n)
            : null;
    }
}

/// <summary>What the explorer reports as it goes.</summary>
public readonly record struct ExploreProgress(long Done, long Total, long Violations, TimeSpan Elapsed, CoverageSet Coverage);

/// <summary>
/// The exploration loop: the batches of a campaign (batch b holds schedules [b·64, b·64+64)) that belong to
/// this shard and are not finished yet, in index order, each run in parallel and then folded in index order
/// (coverage, distinct traces, the first violation), and, with a <see cref="CampaignStore"/>, made durable
/// before the next one starts. It stops at the shard's first violation, the schedule budget, the time budget
/// or cancellation; an unfinished batch is simply run again on resume.
/// </summary>
public static class CampaignRunner
{
    public static ExploreResult Run(Func<Scenario> scenarioFactory, ExploreOptions options, CampaignStore? store, Shard shard, Action<ExploreProgress>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Schedules);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Schedules, ExploreOptions.SchedulesMax);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Workers);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var coverage = new CoverageSet();
        var traces = new Dictionary<string, long>(StringComparer.Ordinal);
        long explored = 0;
        CampaignState? resumed = store?.Resume(coverage, traces);
        if (resumed is { FirstViolationIndex: >= 0 } done)
        {
            RunReport report = store!.LoadViolation(scenarioFactory, done.FirstViolationIndex);
            return new ExploreResult(done.Explored, clock.Elapsed, report, done.FirstViolationIndex, traces) { Coverage = coverage, Resumed = done.Batches.Count };
        }

        explored = resumed?.Explored ?? 0;
        long total = ShardSchedules(options.Schedules, shard);
        long estimate = Math.Max(1, ScenarioRunner.Run(scenarioFactory, new RunOptions { Seed = options.Seed, Strategy = "random", Checks = options.Checks, StepsMax = options.StepsMax }).Steps);
        long batches = (options.Schedules + Explorer.BatchSize - 1) / Explorer.BatchSize;
        for (long b = shard.Index; b < batches; b += shard.Count)
        {
            if (cancel.IsCancellationRequested || (options.TimeMax is TimeSpan max && clock.Elapsed >= max))
            {
                break;
            }

            if (resumed is not null && resumed.Batches.Contains(b))
            {
                continue;
            }

            BatchOutcome outcome = Explorer.RunBatch(scenarioFactory, options, b, estimate);
            var (newStates, newOrderings) = coverage.AddBatch(outcome.Ran, outcome.States, outcome.Orderings);
            foreach (string trace in outcome.Traces)
            {
                traces[trace] = traces.GetValueOrDefault(trace) + 1;
            }

            store?.Commit(b, outcome, newStates, newOrderings);
            explored += outcome.Ran;
            progress?.Invoke(new ExploreProgress(explored, total, outcome.Violation is null ? 0 : 1, clock.Elapsed, coverage));
            if (outcome.Violation is not null)
            {
                return new ExploreResult(explored, clock.Elapsed, outcome.Violation, outcome.ViolationIndex, traces) { Coverage = coverage, Resumed = resumed?.Batches.Count ?? 0 };
            }
        }

        return new ExploreResult(explored, clock.Elapsed, null, -1, traces) { Coverage = coverage, Resumed = resumed?.Batches.Count ?? 0 };
    }

    /// <summary>How many of <paramref name="schedules"/> fall in <paramref name="shard"/>'s batches.</summary>
    public static long ShardSchedules(long schedules, Shard shard)
    {
        long batches = (schedules + Explorer.BatchSize - 1) / Explorer.BatchSize;
        long total = 0;
        for (long b = shard.Index; b < batches; b += shard.Count)
        {
            total += Math.Min(Explorer.BatchSize, schedules - (b * Explorer.BatchSize));
        }

        return total;
    }
}

/// <summary>One finished batch: how many schedules ran (all, or up to and including its first violation), what they reached, and that violation.</summary>
public sealed record BatchOutcome(long Batch, long First, int Ran, IReadOnlyList<string> Traces, IReadOnlyList<ulong> States, IReadOnlyList<ulong> Orderings, RunReport? Violation, long ViolationIndex);

using System.Globalization;
using System.Text;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;
using ShadowPt.Stress;

namespace ShadowPt.Benchmarking;

/// <summary>What <c>shadowpt bench zoo</c> measures.</summary>
public sealed record ZooBenchOptions
{
    /// <summary>Campaign seeds per variant and strategy (1 to this).</summary>
    public int Seeds { get; init; } = 20;

    /// <summary>Schedules one campaign may run before it counts as not found.</summary>
    public long SchedulesMax { get; init; } = 100_000;

    /// <summary>Wall-clock budget of one campaign; also the threaded run's budget.</summary>
    public TimeSpan TimeMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Strategies to compare; null: every strategy explore knows except dfs (systematic: seeds do not apply).</summary>
    public IReadOnlyList<string>? Strategies { get; init; }

    /// <summary>Variants to measure; null: every zoo scenario file.</summary>
    public IReadOnlyList<string>? Variants { get; init; }

    /// <summary>Whether to run each scenario on the threaded scheduler for <see cref="TimeMax"/> too.</summary>
    public bool Threaded { get; init; } = true;
}

/// <summary>One campaign's outcome: found with the expected kind, after how many schedules and seconds.</summary>
public readonly record struct ZooCampaign(bool Found, string? Kind, long Schedules, double Seconds);

/// <summary>A variant under one strategy over all seeds.</summary>
public sealed record ZooCell(string Variant, string Strategy, IReadOnlyList<ZooCampaign> Campaigns)
{
    public int FoundCount => Campaigns.Count(c => c.Found);

    /// <summary>Median schedules to the first violation; a campaign that found nothing counts as infinite. Null when half or more found nothing.</summary>
    public double? MedianSchedules => Median(Campaigns.Select(c => c.Found ? c.Schedules : double.PositiveInfinity));

    public double? MedianSeconds => Median(Campaigns.Select(c => c.Found ? c.Seconds : double.PositiveInfinity));

    /// <summary>The fewest schedules a campaign that found nothing ran (what "more than" means for it); null when all found.</summary>
    public double? UnfoundSchedulesMin => Campaigns.Where(c => !c.Found).Select(c => (double?)c.Schedules).Min();

    /// <summary>The shortest time a campaign that found nothing ran.</summary>
    public double? UnfoundSecondsMin => Campaigns.Where(c => !c.Found).Select(c => (double?)c.Seconds).Min();

    private static double? Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        double m = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return double.IsInfinity(m) ? null : m;
    }
}

/// <summary>The threaded scheduler on a variant's scenario, checkers on, for the same budget.</summary>
public sealed record ZooThreaded(string Variant, bool Found, string? Kind, long Runs, double Seconds);

/// <summary>
/// The bug zoo benchmark: for each zoo scenario file and strategy, explore campaigns with seeds 1..N
/// (one worker, so the figures are per core), schedules and seconds to the first violation; and the
/// same scenario on the threaded scheduler for the same budget.
/// </summary>
public static class ZooBenchmarks
{
    /// <summary>The directory of the zoo's scenario files beside the program.</summary>
    public static string ZooDirectory => Path.Combine(AppContext.BaseDirectory, "config", "scenarios", "zoo");

    public static (IReadOnlyList<ZooCell> Cells, IReadOnlyList<ZooThreaded> Threaded) Run(string zooDirectory, ZooBenchOptions options, Action<string>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Seeds);
        string[] files = [.. Directory.GetFiles(zooDirectory, "*.json").Order(StringComparer.Ordinal)];
        IReadOnlyList<string> strategies = options.Strategies ?? [.. ExploreOptions.StrategyNames.Where(s => s != "dfs")];
        var cells = new List<ZooCell>();
        var threaded = new List<ZooThreaded>();
        foreach (string file in files)
        {
            string variant = Path.GetFileNameWithoutExtension(file);
            if (options.Variants is not null && !options.Variants.Contains(variant))
            {
                continue;
            }

            ScenarioDefinition definition = ScenarioFile.Load(file);
            foreach (string strategy in strategies)
            {
                var campaigns = new List<ZooCampaign>();
                for (int seed = 1; seed <= options.Seeds && !cancel.IsCancellationRequested; seed++)
                {
                    ExploreResult r = Explorer.Run(
                        () => new ShadowPtScenario(definition),
                        new ExploreOptions { Strategy = strategy, Seed = (ulong)seed, Schedules = options.SchedulesMax, TimeMax = options.TimeMax, Workers = 1 },
                        cancel: cancel);
                    campaigns.Add(new ZooCampaign(r.FirstViolation is not null, r.FirstViolation?.Violation?.Kind, r.FirstViolation is null ? r.Explored : r.FirstViolationIndex + 1, r.Elapsed.TotalSeconds));
                }

                var cell = new ZooCell(variant, strategy, campaigns);
                cells.Add(cell);
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"bench zoo: {variant} {strategy}: found {cell.FoundCount}/{campaigns.Count}, median {Text(cell.MedianSchedules, "0")} schedules, {Text(cell.MedianSeconds, "0.000")} s"));
            }

            if (options.Threaded && !cancel.IsCancellationRequested)
            {
                ZooThreaded t = RunThreaded(file, definition, options.TimeMax, cancel);
                threaded.Add(t);
                progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"bench zoo: {variant} threaded: {(t.Found ? "found " + t.Kind : "not found")} in {t.Seconds:0.00} s, {t.Runs} runs"));
            }
        }

        return (cells, threaded);
    }

    /// <summary>The scenario as written (same processes, inspectors and CPUs) on the threaded scheduler, for the budget.</summary>
    private static ZooThreaded RunThreaded(string file, ScenarioDefinition definition, TimeSpan budget, CancellationToken cancel)
    {
        byte[] json = StressWorld.Build(File.ReadAllBytes(file), file, definition.Machine.Cpus, definition.Processes.Count, definition.Inspectors.Count);
        ScenarioDefinition world = StressWorld.Parse(json, file);
        StressResult r = StressRunner.Run(world, new StressOptions { Scheduler = "threaded", TimeMax = budget }, cancel: cancel);
        return new ZooThreaded(Path.GetFileNameWithoutExtension(file), r.Violation is not null, r.Violation?.Kind, r.Runs, r.Elapsed.TotalSeconds);
    }

    /// <summary>The results as the markdown tables of docs/benchmarks.md.</summary>
    public static string Markdown(IReadOnlyList<ZooCell> cells, IReadOnlyList<ZooThreaded> threaded, ZooBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(threaded);
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        string[] strategies = [.. cells.Select(c => c.Strategy).Distinct()];
        text.Append("| variant | expected kind found |");
        foreach (string s in strategies)
        {
            text.Append(CultureInfo.InvariantCulture, $" {s}: found, median schedules, median s |");
        }

        text.AppendLine(" threaded (same budget) |");
        text.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---|", strategies.Length))).AppendLine("---|");
        foreach (IGrouping<string, ZooCell> row in cells.GroupBy(c => c.Variant))
        {
            string[] kinds = [.. row.SelectMany(c => c.Campaigns).Where(c => c.Found).Select(c => c.Kind!).Distinct().Order(StringComparer.Ordinal)];
            text.Append(CultureInfo.InvariantCulture, $"| {row.Key} | {(kinds.Length == 0 ? "-" : string.Join(", ", kinds))} |");
            foreach (string s in strategies)
            {
                ZooCell? cell = row.FirstOrDefault(c => c.Strategy == s);
                text.Append(cell is null ? " |" : string.Create(CultureInfo.InvariantCulture, $" {cell.FoundCount}/{cell.Campaigns.Count}, {Text(cell.MedianSchedules, "0", cell.UnfoundSchedulesMin)}, {Text(cell.MedianSeconds, "0.000", cell.UnfoundSecondsMin)} |"));
            }

            ZooThreaded? t = threaded.FirstOrDefault(x => x.Variant == row.Key);
            text.AppendLine(t is null ? " |" : string.Create(CultureInfo.InvariantCulture, $" {(t.Found ? $"{t.Kind} in {t.Seconds:0.00} s ({t.Runs} runs)" : $"not found in {t.Seconds:0.0} s ({t.Runs} runs)")} |"));
        }

        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"\nSeeds 1 to {options.Seeds} per cell, one worker, at most {options.SchedulesMax} schedules or {options.TimeMax.TotalSeconds:0} s per campaign; a median of '>N' means half or more of the campaigns found nothing, the shortest of them after N."));
        return text.ToString();
    }

    /// <summary>A median, or "&gt;" the least a campaign that found nothing ran when the median is not reached.</summary>
    private static string Text(double? value, string format, double? unfound = null) =>
        value is double v ? v.ToString(format, CultureInfo.InvariantCulture)
        : unfound is double u ? ">" + u.ToString(format, CultureInfo.InvariantCulture)
        : ">budget";
}

using System.Diagnostics;
using System.Globalization;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Benchmarking;

/// <summary>
/// <c>shadowpt bench dpor</c>: executions (complete plus those cut short by sleep sets) that DFS needs
/// to exhaust small correct configurations, with dynamic partial-order reduction and without. A count,
/// not a time: the same on every machine (the seconds are printed on stderr only).
/// </summary>
public static class DporBenchmarks
{
    /// <summary>The small configurations: name and factory.</summary>
    public static IReadOnlyList<(string Name, Func<Scenario> Create)> Configurations { get; } =
    [
        ("fan-in-3", () => new FanInScenario("fan-in-3", 3)),
        ("fan-in-4", () => new FanInScenario("fan-in-4", 4)),
        ("fan-in-5", () => new FanInScenario("fan-in-5", 5)),
        ("pingpong-2x2", () => new PingPongScenario(pairs: 2, volleys: 2)),
        ("pingpong-3x2", () => new PingPongScenario(pairs: 3, volleys: 2)),
        ("counter-2x1", () => new CounterScenario("counter-2x1", locked: true, workers: 2, rounds: 1)),
        ("counter-3x1", () => new CounterScenario("counter-3x1", locked: true, workers: 3, rounds: 1)),
        ("counter-2x2", () => new CounterScenario("counter-2x2", locked: true, workers: 2, rounds: 2)),
    ];

    /// <summary>Runs every configuration both ways; plain DFS stops at <paramref name="executionsMax"/> or <paramref name="timeMax"/>.</summary>
    public static IEnumerable<BenchFigure> Run(long executionsMax, TimeSpan timeMax, Action<string>? log = null)
    {
        foreach ((string name, Func<Scenario> create) in Configurations)
        {
            DfsResult dpor = Measure(name, create, reduction: true, executionsMax, timeMax, log);
            DfsResult plain = Measure(name, create, reduction: false, executionsMax, timeMax, log);
            long dporRuns = dpor.Executions + dpor.SleepBlocked;
            long plainRuns = plain.Executions + plain.SleepBlocked;
            yield return new BenchFigure($"dfs-{name}-plain{(plain.Exhaustive ? string.Empty : "-at-least")}", plainRuns, "executions");
            yield return new BenchFigure($"dfs-{name}-dpor{(dpor.Exhaustive ? string.Empty : "-at-least")}", dporRuns, "executions");
            yield return new BenchFigure($"dfs-{name}-reduction{(plain.Exhaustive && dpor.Exhaustive ? string.Empty : "-at-least")}", plainRuns / (double)Math.Max(1, dporRuns), "x");
        }
    }

    private static DfsResult Measure(string name, Func<Scenario> create, bool reduction, long executionsMax, TimeSpan timeMax, Action<string>? log)
    {
        var clock = Stopwatch.StartNew();
        DfsResult result = DfsExplorer.Run(create, new DfsOptions { Reduction = reduction, ExecutionsMax = executionsMax, TimeMax = timeMax });
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{name} {(reduction ? "dpor" : "plain")}: {result.Executions} executions + {result.SleepBlocked} sleep-blocked, {result.Verdict}, {clock.Elapsed.TotalSeconds:0.00} s"));
        return result;
    }
}

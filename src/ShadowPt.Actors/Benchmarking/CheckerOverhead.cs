using System.Diagnostics;
using System.Globalization;
using ShadowPt.Scenarios;
using ShadowPt.Scenarios.BuiltIn;

namespace ShadowPt.Benchmarking;

/// <summary>
/// What the checkers cost: runs per second of the default scenario (seeds 1 to N, random strategy) with
/// no check, with each check alone, and with all of them (the default), best of the repetitions. The
/// goal is at most 3x the unchecked run for all of them together (KCSAN's own overhead is 2.8x to 5x).
/// </summary>
public static class CheckerOverhead
{
    /// <summary>Measures and appends <c>model-checks-none</c>, <c>model-checks-all</c> (runs/s) and <c>model-checks-overhead</c> (x).</summary>
    public static void Run(List<BenchFigure> figures, ModelBenchOptions options, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentNullException.ThrowIfNull(options);
        (string Name, IReadOnlySet<string> Checks)[] configs =
        [
            ("none", new HashSet<string>(StringComparer.Ordinal)),
            .. ScenarioDefinition.CheckNames.Select(c => (c, (IReadOnlySet<string>)new HashSet<string>([c], StringComparer.Ordinal))),
            ("all", new HashSet<string>(ScenarioDefinition.CheckNames, StringComparer.Ordinal)),
        ];
        var best = new double[configs.Length];
        long steps = 0;
        long warmupStart = Stopwatch.GetTimestamp();
        do
        {
            foreach ((string _, IReadOnlySet<string> checks) in configs)
            {
                RunSeeds(checks, Math.Max(1, options.CheckerRuns / 10)); // warm-up: every check's code tiered up
            }
        }
        while (Stopwatch.GetElapsedTime(warmupStart) < options.WarmupTime);

        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            for (int c = 0; c < configs.Length; c++)
            {
                long start = Stopwatch.GetTimestamp();
                steps = RunSeeds(configs[c].Checks, options.CheckerRuns);
                best[c] = Math.Max(best[c], options.CheckerRuns / Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }

        for (int c = 0; c < configs.Length; c++)
        {
            progress?.Invoke(string.Create(
                CultureInfo.InvariantCulture,
                $"model-checks-{configs[c].Name}: best {best[c]:F0} runs/s of the default scenario ({best[0] / best[c]:F2}x the unchecked run; {options.CheckerRuns} seeds, {steps / options.CheckerRuns} steps per run)"));
        }

        figures.Add(new BenchFigure("model-checks-none", best[0], "runs/s"));
        figures.Add(new BenchFigure("model-checks-all", best[^1], "runs/s"));
        figures.Add(new BenchFigure("model-checks-overhead", best[0] / best[^1], "x"));
    }

    /// <summary>Runs seeds 1 to <paramref name="runs"/>; returns the steps of all of them.</summary>
    private static long RunSeeds(IReadOnlySet<string> checks, int runs)
    {
        long steps = 0;
        for (ulong seed = 1; seed <= (ulong)runs; seed++)
        {
            RunReport report = ScenarioRunner.Run(() => ShadowPtScenario.Default("default"), new RunOptions { Seed = seed, Checks = checks });
            steps += report.Steps;
        }

        return steps;
    }
}

using System.CommandLine;
using System.Globalization;
using ShadowPt.Exploration;
using ShadowPt.Scenarios;

namespace ShadowPt.Host.Commands;

/// <summary>
/// <c>shadowpt explore SCENARIO --strategy dfs</c>: systematic exploration (<see cref="DfsExplorer"/>),
/// kept apart from the sampling strategies' path. It prints the verdict (<c>exhaustive: yes, N
/// executions</c> or <c>exhaustive: no (stopped at ...)</c>) and, on a violation, the run and its
/// saved schedule like <c>shadowpt run</c> does. Ctrl-C stops it after the execution in flight with
/// the partial result (<c>exhaustive: no (interrupted) after N executions</c>).
/// </summary>
internal static class ExploreDfs
{
    /// <summary>--preemption-bound N.</summary>
    public static Option<int?> PreemptionBound { get; } = CreatePreemptionBound();

    /// <summary>--no-reduction: plain DFS over every interleaving.</summary>
    public static Option<bool> NoReduction { get; } = new("--no-reduction") { Description = "dfs only: explore every interleaving (plain DFS), without partial-order reduction." };

    /// <summary>--depth-max N: the depth bound (the run's steps-max).</summary>
    public static Option<long?> StepsMax { get; } = CreateStepsMax();

    /// <summary>The options to add to the explore command.</summary>
    public static IEnumerable<Option> Options => [PreemptionBound, NoReduction, StepsMax];

    public static int Run(TextWriter stdout, TextWriter stderr, ParseResult parsed, Func<Scenario> factory, Option<long> schedules, Option<double?> timeMax, string? scheduleOut)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        bool explicitMax = parsed.GetResult(schedules) is { Implicit: false };
        var options = new DfsOptions
        {
            Reduction = !parsed.GetValue(NoReduction),
            PreemptionBound = parsed.GetValue(PreemptionBound),
            ExecutionsMax = explicitMax ? parsed.GetValue(schedules) : 1_000_000,
            StepsMax = parsed.GetValue(StepsMax) ?? DfsOptions.StepsMaxDefault,
            TimeMax = parsed.GetValue(timeMax) is double s ? TimeSpan.FromSeconds(s) : null,
        };
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // stop after the execution in flight and print the partial result
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        DfsResult result;
        try
        {
            result = DfsExplorer.Run(factory, options, progress: (runs, elapsed) =>
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"explore: dfs {runs} executions, {runs / Math.Max(elapsed.TotalSeconds, 1e-3):0} executions/s, {elapsed.TotalSeconds:0.0} s")), cancel: cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        string mode = options.Reduction ? "dpor" : "no reduction";
        string bound = options.PreemptionBound is int b ? string.Create(CultureInfo.InvariantCulture, $", preemption bound {b}") : string.Empty;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"explored: {result.Executions} executions in {result.Elapsed.TotalSeconds:0.0} s (dfs, {mode}{bound}), {result.SleepBlocked} cut short by sleep sets, {result.DistinctTraces} distinct traces, depth up to {result.DepthMax}"));
        stdout.WriteLine(result.Verdict);
        if (result.FirstViolation is not RunReport report)
        {
            stdout.WriteLine("result: ok");
            return ExitCodes.Ok;
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first violation: execution {result.Executions}"));
        return Summary.Print(stdout, report, scheduleOut);
    }

    private static Option<int?> CreatePreemptionBound()
    {
        var option = new Option<int?>("--preemption-bound") { Description = "dfs only: most preemptions per execution (switching away from an actor that could still receive); a bounded search is not exhaustive if the bound pruned anything.", HelpName = "N" };
        option.Validators.Add(r =>
        {
            int? n = r.GetValueOrDefault<int?>();
            if (n is < 0 or > 1000)
            {
                r.AddError("--preemption-bound must be from 0 to 1000");
            }
        });
        return option;
    }

    private static Option<long?> CreateStepsMax()
    {
        var option = new Option<long?>("--depth-max") { Description = $"dfs only: depth bound, most deliveries per execution (default {DfsOptions.StepsMaxDefault}); reaching it is a bound-exceeded violation.", HelpName = "N" };
        option.Validators.Add(r =>
        {
            long? n = r.GetValueOrDefault<long?>();
            if (n is < 1 or > DfsOptions.StepsMaxLimit)
            {
                r.AddError($"--depth-max must be from 1 to {DfsOptions.StepsMaxLimit}");
            }
        });
        return option;
    }
}
